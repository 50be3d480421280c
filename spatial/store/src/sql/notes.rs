//! Layer notes (provenance, synthetic) in `onemap_layers`: one table and one pair of
//! statements on both backends.

use onemap_spatial::LayerNote;

use super::cases::Sql;
use super::{Arg, Dialect, Result, Where};

/// Writes the note of `layer` (replacing an earlier one) on `conn`, inside the caller's
/// transaction, so a backend can add its own copy (a table description) atomically.
pub async fn write<DB: Sql>(
    conn: &mut DB::Connection,
    dialect: Dialect,
    layer: &str,
    note: &LayerNote,
) -> Result<()> {
    let mut w = Where::new(dialect);
    let (l, p, s) = (
        w.arg(Arg::Text(layer.into())),
        w.arg(Arg::OptText(note.provenance.clone())),
        w.arg(Arg::Bool(note.synthetic)),
    );
    let sql = format!(
        "INSERT INTO onemap_layers (layer, provenance, synthetic) VALUES ({l}, {p}, {s}) \
         ON CONFLICT (layer) DO UPDATE SET provenance = excluded.provenance, synthetic = excluded.synthetic"
    );
    DB::rows(conn, sql, w.args).await?;
    Ok(())
}

/// The note of `layer`, if one was written.
pub async fn read<DB: Sql>(
    conn: &mut DB::Connection,
    dialect: Dialect,
    layer: &str,
) -> Result<Option<LayerNote>> {
    let mut w = Where::new(dialect);
    let l = w.arg(Arg::Text(layer.into()));
    let sql = format!("SELECT provenance, synthetic FROM onemap_layers WHERE layer = {l}");
    let rows = DB::rows(conn, sql, w.args).await?;
    rows.first()
        .map(|r| {
            Ok(LayerNote {
                provenance: DB::opt_text(r, "provenance")?,
                synthetic: DB::flag(r, "synthetic")?,
            })
        })
        .transpose()
}
