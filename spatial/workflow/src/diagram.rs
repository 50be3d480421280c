//! A Mermaid `stateDiagram-v2` of a workflow, for `GET /workflows/{id}`.

use std::fmt::Write;

use super::definition::{DurationUnit, WorkflowDef};

/// States are labelled with their titles (and deadlines), transitions with the
/// action titles; creating actions start from `[*]` and terminal states end in it.
pub fn mermaid(def: &WorkflowDef) -> String {
    let mut out = String::from("stateDiagram-v2\n");
    for s in &def.states {
        let mut label = clean(&s.title);
        if let Some(d) = &s.deadline {
            let unit = match d.unit {
                DurationUnit::Hours => "小时",
                DurationUnit::CalendarDays => "自然日",
                DurationUnit::WorkingDays => "工作日",
            };
            let _ = write!(label, " ({}{unit})", d.duration);
        }
        let _ = writeln!(out, "    state \"{label}\" as {}", s.id);
    }
    for a in &def.actions {
        let title = clean(&a.title);
        if a.creates() {
            let _ = writeln!(out, "    [*] --> {}: {title}", def.initial);
        }
        for from in &a.from {
            let to = a.to.as_deref().unwrap_or(from);
            let _ = writeln!(out, "    {from} --> {to}: {title}");
        }
    }
    for s in def.states.iter().filter(|s| s.terminal) {
        let _ = writeln!(out, "    {} --> [*]", s.id);
    }
    out
}

/// Characters that end a Mermaid label or statement are replaced.
fn clean(title: &str) -> String {
    title
        .chars()
        .map(|c| match c {
            '"' => '\'',
            ':' => '：',
            ';' => '；',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect()
}
