//! Cross-reference checks on parsed definitions.
//!
//! Every problem names the workflow, the state or action, and the offending value,
//! so a bad file is fixed in one go.

use std::collections::{BTreeSet, HashSet, VecDeque};

use super::definition::{ActionDef, DeadlineChange, FieldType, RoleDef, WorkflowDef};

/// Action ids that timer entries use in the history.
const RESERVED_ACTIONS: [&str; 2] = ["deadline", "reminder"];

/// `snake_case`, so ids can go into URLs and Mermaid diagrams unchanged.
fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn duplicates<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|id| !seen.insert(*id)).collect()
}

pub(super) fn check_roles(roles: &[RoleDef]) -> Vec<String> {
    let mut problems = Vec::new();
    for dup in duplicates(roles.iter().map(|r| r.id.as_str())) {
        problems.push(format!("duplicate role `{dup}`"));
    }
    for r in roles {
        if !is_id(&r.id) {
            problems.push(format!("role `{}`: id must be snake_case", r.id));
        }
        if r.levels.is_empty() {
            problems.push(format!("role `{}`: no levels", r.id));
        }
    }
    problems
}

/// All problems with one workflow; `stem` is its file name without extension.
pub(super) fn check_workflow(def: &WorkflowDef, stem: &str, roles: &[RoleDef]) -> Vec<String> {
    let mut p = Vec::new();
    if def.id != stem {
        p.push(format!(
            "id `{}` differs from the file name `{stem}`",
            def.id
        ));
    }
    if !is_id(&def.id) {
        p.push(format!("id `{}` must be snake_case", def.id));
    }
    let states: BTreeSet<&str> = def.states.iter().map(|s| s.id.as_str()).collect();
    for dup in duplicates(def.states.iter().map(|s| s.id.as_str())) {
        p.push(format!("duplicate state `{dup}`"));
    }
    for dup in duplicates(def.actions.iter().map(|a| a.id.as_str())) {
        p.push(format!("duplicate action `{dup}`"));
    }
    for dup in duplicates(def.counters.iter().map(String::as_str)) {
        p.push(format!("duplicate counter `{dup}`"));
    }
    for c in def.counters.iter().filter(|c| !is_id(c)) {
        p.push(format!("counter `{c}` must be snake_case"));
    }
    match def.state(&def.initial) {
        None => p.push(format!("initial state `{}` is not a state", def.initial)),
        Some(s) if s.terminal => p.push(format!("initial state `{}` is terminal", s.id)),
        Some(_) => {}
    }
    for s in &def.states {
        if !is_id(&s.id) {
            p.push(format!("state `{}`: id must be snake_case", s.id));
        }
        if let Some(d) = &s.deadline {
            if s.terminal {
                p.push(format!(
                    "state `{}`: a terminal state has no deadline",
                    s.id
                ));
            }
            if d.duration == 0 {
                p.push(format!(
                    "state `{}`: deadline duration must be positive",
                    s.id
                ));
            }
            if d.on_due.is_empty() {
                p.push(format!("state `{}`: deadline has no `on_due` effect", s.id));
            }
        }
    }
    for a in &def.actions {
        check_action(def, a, &states, roles, &mut p);
    }
    if !def.actions.iter().any(ActionDef::creates) {
        p.push("no action creates a case (an action with `from: []`)".into());
    }
    check_graph(def, &mut p);
    p.into_iter()
        .map(|m| format!("workflow `{}`: {m}", def.id))
        .collect()
}

fn check_action(
    def: &WorkflowDef,
    a: &ActionDef,
    states: &BTreeSet<&str>,
    roles: &[RoleDef],
    p: &mut Vec<String>,
) {
    let mut bad = |m: String| p.push(format!("action `{}`: {m}", a.id));
    if !is_id(&a.id) {
        bad("id must be snake_case".into());
    }
    if RESERVED_ACTIONS.contains(&a.id.as_str()) {
        bad("id is reserved for timer entries".into());
    }
    for f in &a.from {
        match def.state(f) {
            None => bad(format!("unknown state `{f}` in `from`")),
            Some(s) if s.terminal => bad(format!("leaves terminal state `{f}`")),
            Some(_) => {}
        }
    }
    match (&a.to, a.creates()) {
        (Some(to), _) if !states.contains(to.as_str()) => {
            bad(format!("unknown state `{to}` in `to`"))
        }
        (Some(to), true) if *to != def.initial => bad(format!(
            "creates a case, so it must lead to the initial state `{}`, not `{to}`",
            def.initial
        )),
        (None, true) => bad("creates a case but has no `to`".into()),
        _ => {}
    }
    if a.creates() && a.when.is_some() {
        bad("creates a case, so it cannot have a `when` condition".into());
    }
    if a.roles.is_empty() {
        bad("no roles".into());
    }
    if a.levels.is_empty() {
        bad("no levels".into());
    }
    let known: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
    for r in a.roles.iter().filter(|r| !known.contains(&r.as_str())) {
        bad(format!("unknown role `{r}` (known: {})", known.join(", ")));
    }
    for l in &a.levels {
        let acted = roles
            .iter()
            .any(|r| a.roles.contains(&r.id) && r.levels.contains(l));
        if !acted {
            bad(format!(
                "level `{l}` is not a level any of its roles acts at"
            ));
        }
    }
    for dup in duplicates(a.fields.iter().map(|f| f.name.as_str())) {
        bad(format!("duplicate field `{dup}`"));
    }
    for f in &a.fields {
        if !is_id(&f.name) {
            bad(format!("field `{}`: name must be snake_case", f.name));
        }
        match (f.ty, f.values.is_empty()) {
            (FieldType::Enum, true) => bad(format!("enum field `{}` has no values", f.name)),
            (ty, false) if ty != FieldType::Enum => {
                bad(format!("field `{}` has values but is not an enum", f.name))
            }
            _ => {}
        }
    }
    for c in a.increments.iter().filter(|c| !def.counters.contains(c)) {
        bad(format!("increments undeclared counter `{c}`"));
    }
    let field = |name: &str| a.fields.iter().find(|f| f.name == name);
    if let Some(name) = &a.sets_reminder
        && !field(name).is_some_and(|f| f.ty == FieldType::Datetime)
    {
        bad(format!(
            "`sets_reminder` field `{name}` is not a datetime field of the action"
        ));
    }
    if let Some(DeadlineChange::ExtendBy(name)) = &a.deadline
        && !field(name).is_some_and(|f| f.ty == FieldType::Number && f.required)
    {
        bad(format!(
            "`extend_by` field `{name}` is not a required number field of the action"
        ));
    }
}

/// Every state must be reachable from the initial one, and every non-terminal
/// state must have a way out; otherwise cases would get stuck.
fn check_graph(def: &WorkflowDef, p: &mut Vec<String>) {
    let mut reached: HashSet<&str> = HashSet::from([def.initial.as_str()]);
    let mut queue = VecDeque::from([def.initial.as_str()]);
    while let Some(s) = queue.pop_front() {
        for a in def.actions.iter().filter(|a| a.from.iter().any(|f| f == s)) {
            let to = a.to.as_deref().unwrap_or(s);
            if reached.insert(to) {
                queue.push_back(to);
            }
        }
    }
    for s in &def.states {
        if !reached.contains(s.id.as_str()) {
            p.push(format!(
                "state `{}` is unreachable from the initial state `{}`",
                s.id, def.initial
            ));
        }
        if !s.terminal && !def.actions.iter().any(|a| a.from.contains(&s.id)) {
            p.push(format!(
                "state `{}` is not terminal but no action leaves it",
                s.id
            ));
        }
    }
}
