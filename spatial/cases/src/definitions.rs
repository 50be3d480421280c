//! The workflow definitions a server runs: the shipped files, overridden or extended by a
//! data directory's.

use std::collections::BTreeMap;
use std::path::Path;

use onemap_workflow::{LoadError, Registry};

/// The shipped definitions (`data/workflows/*.yaml`), built into the binary.
const SHIPPED: &[(&str, &str)] = &[
    (
        "roles.yaml",
        include_str!("../../../data/workflows/roles.yaml"),
    ),
    (
        "holidays.yaml",
        include_str!("../../../data/workflows/holidays.yaml"),
    ),
    (
        "supervision.yaml",
        include_str!("../../../data/workflows/supervision.yaml"),
    ),
    (
        "sampling_check.yaml",
        include_str!("../../../data/workflows/sampling_check.yaml"),
    ),
    (
        "hotline_order.yaml",
        include_str!("../../../data/workflows/hotline_order.yaml"),
    ),
    (
        "iot_alarm.yaml",
        include_str!("../../../data/workflows/iot_alarm.yaml"),
    ),
];

/// Why the definitions cannot be loaded; the server does not start.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionsError {
    /// The override directory cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file is malformed or the files contradict each other.
    #[error("workflow definitions ({place}): {source}")]
    Invalid {
        /// The override directory when the file came from there, else "the shipped definitions".
        place: String,
        /// What is wrong, naming the file and item.
        #[source]
        source: LoadError,
    },
}

/// The shipped definitions, with the `*.yaml` files of `dir` (if it exists) replacing those of
/// the same name or adding workflows. A bad file is named with where it came from.
pub fn load(dir: &Path) -> Result<Registry, DefinitionsError> {
    let mut files: BTreeMap<String, String> = SHIPPED
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let mut overridden = Vec::new();
    if dir.is_dir() {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| DefinitionsError::Io { path, source }
        };
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let path = entry.map_err(io(dir))?.path();
            if path.extension().is_some_and(|x| x == "yaml") {
                let name = path
                    .file_name()
                    .expect("a file")
                    .to_string_lossy()
                    .to_string();
                let text = std::fs::read_to_string(&path).map_err(io(&path))?;
                files.insert(name.clone(), text);
                overridden.push(name);
            }
        }
    }
    Registry::from_sources(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))).map_err(|source| {
        let (LoadError::Parse { file, .. }
        | LoadError::Invalid { file, .. }
        | LoadError::Missing { file }
        | LoadError::Io { file, .. }) = &source;
        let place = if overridden.contains(file) {
            dir.display().to_string()
        } else {
            "the shipped definitions".into()
        };
        DefinitionsError::Invalid { place, source }
    })
}
