//! Layer declarations: what each layer holds and how its properties are typed.

mod geometry_type;
mod layer;
mod property;
mod registry;

pub use geometry_type::GeometryType;
pub use layer::{Extent, LayerDef, Serve};
pub use property::{CodeCheck, PropType, PropertyDef};
pub use registry::{LayerRegistry, RegistryError};
