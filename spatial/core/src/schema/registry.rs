//! The set of layers a server holds, read from declaration files.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::schema::LayerDef;

/// Why a set of layer declarations was refused.
#[derive(Debug, thiserror::Error)]
#[error("layer declaration {source_name}: {message}")]
pub struct RegistryError {
    pub source_name: String,
    pub message: String,
}

/// All declared layers, by id, in a stable order.
#[derive(Debug, Clone, Default)]
pub struct LayerRegistry {
    layers: BTreeMap<String, Arc<LayerDef>>,
}

impl LayerRegistry {
    /// Parses declarations given as (source name, JSON text) pairs; a later one with
    /// the same id replaces an earlier one, so a deployment can override a shipped layer.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (String, &'a str)>,
    ) -> Result<Self, RegistryError> {
        let mut reg = Self::default();
        for (name, text) in sources {
            reg.add_json(&name, text)?;
        }
        reg.check_table_names()?;
        Ok(reg)
    }

    /// Adds the `*.json` files of a directory on top of what is there.
    pub fn extend_from_dir(&mut self, dir: &Path) -> Result<(), RegistryError> {
        let err = |message: String| RegistryError {
            source_name: dir.display().to_string(),
            message,
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| err(e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
            self.add_json(&path.display().to_string(), &text)?;
        }
        self.check_table_names()
    }

    fn add_json(&mut self, name: &str, text: &str) -> Result<(), RegistryError> {
        let err = |message: String| RegistryError {
            source_name: name.to_string(),
            message,
        };
        let mut def: LayerDef = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
        def.prepare().map_err(err)?;
        self.layers.insert(def.id.clone(), Arc::new(def));
        Ok(())
    }

    /// Linked geometry tables are named `{layer}_{property}`; they must not shadow a layer.
    fn check_table_names(&self) -> Result<(), RegistryError> {
        for def in self.layers.values() {
            for p in def.geometry_properties() {
                let t = def.linked_table(&p.name);
                if self.layers.contains_key(&t) {
                    return Err(RegistryError {
                        source_name: def.id.clone(),
                        message: format!("linked table `{t}` collides with a layer of that id"),
                    });
                }
            }
        }
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Arc<LayerDef>> {
        self.layers.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<LayerDef>> {
        self.layers.values()
    }

    pub fn len(&self) -> usize {
        self.layers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}
