//! Loading the definition directory: `roles.yaml`, `holidays.yaml` and `<id>.yaml` per workflow.
//!
//! Everything is checked at load so that a bad file stops the server at start-up
//! rather than a case half-way.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::calendar::{Calendar, HolidayFile};
use super::definition::{RoleDef, WorkflowDef};
use super::engine::Engine;
use super::validate;

const ROLES: &str = "roles.yaml";
const HOLIDAYS: &str = "holidays.yaml";

/// Why the definitions were refused; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file or the directory could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The path that failed.
        file: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file is not valid YAML of the expected shape.
    #[error("{file}: {message}")]
    Parse {
        /// The file's path.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// A file parsed but failed the cross-reference checks.
    #[error("{file}: {}", problems.join("; "))]
    Invalid {
        /// The file's path.
        file: String,
        /// Every problem found, each naming the workflow and item.
        problems: Vec<String>,
    },
    /// A required file (`roles.yaml`, `holidays.yaml`) is absent.
    #[error("{file} is missing")]
    Missing {
        /// The expected path.
        file: String,
    },
}

impl LoadError {
    /// Names the file by its path in `dir`.
    fn in_dir(mut self, dir: &Path) -> LoadError {
        match &mut self {
            LoadError::Parse { file, .. }
            | LoadError::Invalid { file, .. }
            | LoadError::Missing { file } => *file = dir.join(&*file).display().to_string(),
            LoadError::Io { .. } => {}
        }
        self
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    roles: Vec<RoleDef>,
}

/// The validated roles, calendar and workflows.
#[derive(Debug, Clone)]
pub struct Registry {
    roles: Vec<RoleDef>,
    calendar: Calendar,
    workflows: BTreeMap<String, WorkflowDef>,
}

impl Registry {
    /// Reads every `*.yaml` file of `dir`.
    pub fn load(dir: &Path) -> Result<Registry, LoadError> {
        let io = |file: &Path, source| LoadError::Io {
            file: file.display().to_string(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
            let path = entry.map_err(|e| io(dir, e))?.path();
            if path.extension().is_some_and(|x| x == "yaml") {
                let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
                let name = path.file_name().expect("a file").to_string_lossy().into();
                files.push((name, text));
            }
        }
        let sources = files
            .iter()
            .map(|(n, t): &(String, String)| (n.as_str(), t.as_str()));
        Registry::from_sources(sources).map_err(|e| e.in_dir(dir))
    }

    /// Builds the registry from (file name, YAML text) pairs, as found in the directory.
    pub fn from_sources<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Registry, LoadError> {
        let files: BTreeMap<&str, &str> = files.into_iter().collect();
        let roles: RoleFile = parse(ROLES, &files)?;
        let problems = validate::check_roles(&roles.roles);
        if !problems.is_empty() {
            return Err(invalid(ROLES, problems));
        }
        let holidays: HolidayFile = parse(HOLIDAYS, &files)?;
        let calendar = Calendar::from_file(holidays).map_err(|p| invalid(HOLIDAYS, p))?;
        let mut workflows = BTreeMap::new();
        for (&name, _) in files.iter().filter(|(n, _)| ![ROLES, HOLIDAYS].contains(n)) {
            let def: WorkflowDef = parse(name, &files)?;
            let stem = name.strip_suffix(".yaml").unwrap_or(name);
            let problems = validate::check_workflow(&def, stem, &roles.roles);
            if !problems.is_empty() {
                return Err(invalid(name, problems));
            }
            workflows.insert(def.id.clone(), def);
        }
        Ok(Registry {
            roles: roles.roles,
            calendar,
            workflows,
        })
    }

    /// The roles of `roles.yaml`, in file order.
    pub fn roles(&self) -> &[RoleDef] {
        &self.roles
    }

    /// The working-day calendar of `holidays.yaml`.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The workflow with this id.
    pub fn workflow(&self, id: &str) -> Option<&WorkflowDef> {
        self.workflows.get(id)
    }

    /// The workflows in id order.
    pub fn workflows(&self) -> impl Iterator<Item = &WorkflowDef> {
        self.workflows.values()
    }

    /// The engine for one workflow.
    pub fn engine(&self, id: &str) -> Option<Engine<'_>> {
        self.workflow(id)
            .map(|def| Engine::new(def, &self.calendar))
    }
}

fn parse<T: for<'de> Deserialize<'de>>(
    name: &str,
    files: &BTreeMap<&str, &str>,
) -> Result<T, LoadError> {
    let text = files.get(name).ok_or_else(|| LoadError::Missing {
        file: name.to_string(),
    })?;
    serde_yaml_ng::from_str(text).map_err(|e| LoadError::Parse {
        file: name.to_string(),
        message: e.to_string(),
    })
}

fn invalid(file: &str, problems: Vec<String>) -> LoadError {
    LoadError::Invalid {
        file: file.to_string(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES_YAML: &str = include_str!("../../../data/workflows/roles.yaml");
    const HOLIDAYS_YAML: &str = include_str!("../../../data/workflows/holidays.yaml");

    /// A small valid workflow; tests break one thing in it at a time.
    const GOOD: &str = "
id: tiny
title: 小流程
initial: open
counters: [urge_count]
states:
  - {id: open, title: 待办, deadline: {duration: 2, unit: working_days, on_due: [mark_overdue]}}
  - {id: done, title: 办结, terminal: true}
actions:
  - {id: start, title: 新建, from: [], to: open, roles: [officer], levels: [township]}
  - {id: finish, title: 办结, from: [open], to: done, roles: [squad], levels: [township]}
";

    fn load(workflow: &str) -> Result<Registry, LoadError> {
        Registry::from_sources([
            ("roles.yaml", ROLES_YAML),
            ("holidays.yaml", HOLIDAYS_YAML),
            ("tiny.yaml", workflow),
        ])
    }

    fn refused(workflow: &str) -> String {
        load(workflow).unwrap_err().to_string()
    }

    #[test]
    fn the_shipped_definitions_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/workflows");
        let reg = Registry::load(&dir).unwrap();
        let ids: Vec<&str> = reg.workflows().map(|w| w.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "hotline_order",
                "iot_alarm",
                "sampling_check",
                "supervision"
            ]
        );
        assert!(
            reg.roles()
                .iter()
                .any(|r| r.id == "squad" && r.title == "中队")
        );
        load(GOOD).unwrap();
        // Definitions are served as JSON (GET /workflows/{id}) and read back the same.
        for def in reg.workflows() {
            let json = serde_json::to_value(def).unwrap();
            let back: WorkflowDef = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(serde_json::to_value(&back).unwrap(), json);
        }
        let hotline = serde_json::to_value(reg.workflow("hotline_order").unwrap()).unwrap();
        assert_eq!(
            hotline["actions"][7]["deadline"],
            serde_json::json!({"extend_by": "days"})
        );
        assert_eq!(hotline["actions"][6]["deadline"], "keep");
        let empty = tempfile::tempdir().unwrap();
        let err = Registry::load(empty.path()).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{} is missing", empty.path().join("roles.yaml").display())
        );
    }

    #[test]
    fn an_unreachable_state_is_named() {
        let bad = GOOD.replace(
            "  - {id: done,",
            "  - {id: limbo, title: 悬空, terminal: true}\n  - {id: done,",
        );
        let msg = refused(&bad);
        assert!(msg.starts_with("tiny.yaml: workflow `tiny`: "), "{msg}");
        assert!(
            msg.contains("state `limbo` is unreachable from the initial state `open`"),
            "{msg}"
        );
    }

    #[test]
    fn an_action_to_an_unknown_state_is_named() {
        let msg = refused(&GOOD.replace("to: done", "to: finished"));
        assert!(
            msg.contains("action `finish`: unknown state `finished` in `to`"),
            "{msg}"
        );
        let msg = refused(&GOOD.replace("from: [open]", "from: [opened]"));
        assert!(
            msg.contains("action `finish`: unknown state `opened` in `from`"),
            "{msg}"
        );
    }

    #[test]
    fn an_unknown_role_is_named() {
        let msg = refused(&GOOD.replace("roles: [squad]", "roles: [squadron]"));
        assert!(
            msg.contains("action `finish`: unknown role `squadron` (known: city_demolition_office"),
            "{msg}"
        );
    }

    #[test]
    fn a_level_none_of_the_roles_acts_at_is_named() {
        let msg = refused(&GOOD.replace(
            "roles: [squad], levels: [township]",
            "roles: [squad], levels: [city]",
        ));
        assert!(
            msg.contains("action `finish`: level `city` is not a level any of its roles acts at"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_levels_field_types_and_keys_are_parse_errors_naming_the_value() {
        let msg = refused(&GOOD.replace(
            "levels: [township]}\n  - {id: finish",
            "levels: [county]}\n  - {id: finish",
        ));
        assert!(msg.starts_with("tiny.yaml: "), "{msg}");
        assert!(msg.contains("county"), "{msg}");
        let with_field = GOOD.replace(
            "levels: [township]}\n  - {id: finish",
            "levels: [township], fields: [{name: x, title: X, type: strng}]}\n  - {id: finish",
        );
        let msg = refused(&with_field);
        assert!(msg.contains("strng"), "{msg}");
        let msg = refused(&GOOD.replace(
            "levels: [township]}\n  - {id: finish",
            "levels: [township], deadline: stop}\n  - {id: finish",
        ));
        assert!(msg.contains("unknown deadline change `stop`"), "{msg}");
        let msg = refused(&GOOD.replace("terminal: true", "terminal: true, colour: red"));
        assert!(msg.contains("colour"), "{msg}");
    }

    #[test]
    fn duplicates_dead_ends_counters_and_ids_are_named() {
        let dup = GOOD.replace("id: finish", "id: start");
        assert!(refused(&dup).contains("duplicate action `start`"));
        let dead_end = GOOD.replace("terminal: true", "terminal: false");
        assert!(
            refused(&dead_end).contains("state `done` is not terminal but no action leaves it")
        );
        let counter = GOOD.replace(
            "levels: [township]}\n",
            "levels: [township], increments: [urges]}\n",
        );
        assert!(
            refused(&counter).contains("action `start`: increments undeclared counter `urges`")
        );
        let renamed = GOOD.replace("id: tiny", "id: small");
        assert!(refused(&renamed).contains("id `small` differs from the file name `tiny`"));
        let initial = GOOD.replace("initial: open", "initial: done");
        let msg = refused(&initial);
        assert!(msg.contains("initial state `done` is terminal"), "{msg}");
        assert!(msg.contains("action `start`: creates a case, so it must lead to the initial state `done`, not `open`"), "{msg}");
    }

    #[test]
    fn all_problems_of_a_file_are_reported_together() {
        let bad = GOOD
            .replace("roles: [squad]", "roles: [nobody]")
            .replace("to: done", "to: nowhere");
        let LoadError::Invalid { file, problems } = load(&bad).unwrap_err() else {
            panic!("expected Invalid");
        };
        assert_eq!(file, "tiny.yaml");
        assert!(
            problems.iter().any(|p| p.contains("unknown role `nobody`")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("unknown state `nowhere`")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("state `done` is unreachable")),
            "{problems:?}"
        );
    }

    #[test]
    fn roles_and_holidays_files_are_required_and_checked() {
        let err = Registry::from_sources([("holidays.yaml", HOLIDAYS_YAML)]).unwrap_err();
        assert_eq!(err.to_string(), "roles.yaml is missing");
        let roles =
            "roles:\n  - {id: a, title: A, levels: [city]}\n  - {id: a, title: B, levels: []}\n";
        let err = Registry::from_sources([("roles.yaml", roles), ("holidays.yaml", HOLIDAYS_YAML)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("duplicate role `a`") && err.contains("role `a`: no levels"),
            "{err}"
        );
        let holidays = "holidays: []\nworkdays: [{name: 调休, date: 2026-03-04}]\n";
        let err = Registry::from_sources([("roles.yaml", ROLES_YAML), ("holidays.yaml", holidays)])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("holidays.yaml: make-up working day `调休` 2026-03-04"),
            "{err}"
        );
    }
}
