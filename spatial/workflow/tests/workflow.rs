//! The shipped workflows walked at engine level: main and side paths, who may do
//! what at each step, the history, and timers under a fake clock.

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use onemap_workflow::{
    ActionError, ActionRequest, Actor, CasePlacement, CaseState, Engine, EntryKind, HistoryEntry,
    Level, Registry, TimerKind, Transition, cst, mermaid,
};

/// 黄浦区 and two of its townships; 徐汇区 as the other district.
const HUANGPU: &str = "310101";
const NANJING_RD: &str = "310101002";
const BUND: &str = "310101013";
const XUHUI: &str = "310104";

fn registry() -> Registry {
    Registry::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/workflows")).unwrap()
}

/// A time in China Standard Time.
fn cst_at(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    cst()
        .with_ymd_and_hms(2026, m, d, h, min, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn actor(
    user: &str,
    role: &str,
    level: Level,
    district: Option<&str>,
    township: Option<&str>,
) -> Actor {
    Actor {
        user: user.into(),
        role: role.into(),
        level,
        district_code: district.map(Into::into),
        township_code: township.map(Into::into),
    }
}

fn city_office() -> Actor {
    actor("c1", "city_demolition_office", Level::City, None, None)
}
fn huangpu_office() -> Actor {
    actor(
        "d1",
        "district_demolition_office",
        Level::District,
        Some(HUANGPU),
        None,
    )
}
fn xuhui_office() -> Actor {
    actor(
        "d2",
        "district_demolition_office",
        Level::District,
        Some(XUHUI),
        None,
    )
}
fn nanjing_rd() -> Actor {
    actor(
        "t1",
        "township_office",
        Level::Township,
        Some(HUANGPU),
        Some(NANJING_RD),
    )
}
fn bund() -> Actor {
    actor(
        "t2",
        "township_office",
        Level::Township,
        Some(HUANGPU),
        Some(BUND),
    )
}
fn squad() -> Actor {
    actor(
        "s1",
        "squad",
        Level::Township,
        Some(HUANGPU),
        Some(NANJING_RD),
    )
}
fn officer() -> Actor {
    actor(
        "o1",
        "officer",
        Level::Township,
        Some(HUANGPU),
        Some(NANJING_RD),
    )
}
fn bureau() -> Actor {
    actor(
        "b1",
        "district_bureau",
        Level::District,
        Some(HUANGPU),
        None,
    )
}
fn xuhui_bureau() -> Actor {
    actor("b2", "district_bureau", Level::District, Some(XUHUI), None)
}
fn hotline() -> Actor {
    actor("h1", "hotline_center", Level::City, None, None)
}
fn operator(level: Level) -> Actor {
    let (d, t) = match level {
        Level::Township => (Some(HUANGPU), Some(NANJING_RD)),
        Level::District => (Some(HUANGPU), None),
        _ => (None, None),
    };
    actor(&format!("op-{level}"), "operator", level, d, t)
}

fn new_case(level: Level) -> CasePlacement {
    CasePlacement {
        district_code: HUANGPU.into(),
        township_code: Some(NANJING_RD.into()),
        level,
    }
}

/// A case as the store would keep it: the state and the append-only history.
struct Case<'a> {
    engine: Engine<'a>,
    state: CaseState,
    history: Vec<HistoryEntry>,
}

impl<'a> Case<'a> {
    fn create(
        engine: Engine<'a>,
        who: &Actor,
        new: CasePlacement,
        req: ActionRequest,
        now: DateTime<Utc>,
    ) -> Case<'a> {
        let t = engine.create(who, new, req, now).unwrap();
        assert_eq!((t.case.version, t.entry.version), (1, 1));
        assert_eq!(t.entry.kind, EntryKind::Create);
        assert_eq!(t.entry.from, None);
        Case {
            engine,
            state: t.case,
            history: vec![t.entry],
        }
    }

    /// Takes an action that must succeed, checking the version and the entry.
    fn act(&mut self, who: &Actor, req: ActionRequest, now: DateTime<Utc>) -> &CaseState {
        let action = req.action.clone();
        let t = self
            .engine
            .apply(
                &self.state,
                who,
                req.expect_version(self.state.version),
                now,
            )
            .unwrap_or_else(|e| panic!("{action} by {}: {e}", who.user));
        assert_eq!(t.entry.action, action);
        assert_eq!(t.entry.user, who.user);
        assert_eq!(t.entry.at, now);
        assert_eq!(t.entry.from.as_deref(), Some(self.state.state.as_str()));
        self.commit(t);
        &self.state
    }

    fn try_act(&self, who: &Actor, req: ActionRequest, now: DateTime<Utc>) -> ActionError {
        self.engine.apply(&self.state, who, req, now).unwrap_err()
    }

    /// Runs the scheduler at `now`, returning the kinds of entries it wrote.
    fn tick(&mut self, now: DateTime<Utc>) -> Vec<(EntryKind, DateTime<Utc>)> {
        let steps = self.engine.fire_due(&self.state, now);
        let fired = steps.iter().map(|t| (t.entry.kind, t.entry.at)).collect();
        for t in steps {
            assert_eq!(
                (t.entry.user.as_str(), t.entry.level),
                ("system", Level::System)
            );
            self.commit(t);
        }
        fired
    }

    fn commit(&mut self, t: Transition) {
        assert_eq!(t.case.version, self.state.version + 1);
        assert_eq!(t.entry.version, t.case.version);
        assert_eq!(t.entry.to, t.case.state);
        assert_eq!(t.timers, t.case.timers());
        self.state = t.case;
        self.history.push(t.entry);
    }

    fn can(&self, who: &Actor) -> Vec<&str> {
        let actions = self.engine.available_actions(&self.state, who);
        actions.into_iter().map(|a| a.id.as_str()).collect()
    }

    fn trail(&self) -> Vec<&str> {
        self.history.iter().map(|e| e.action.as_str()).collect()
    }
}

fn issue() -> ActionRequest {
    ActionRequest::new("issue")
        .field("supervision_level", "挂牌")
        .field("subject", "南京东路某号违法搭建")
}

fn reply() -> ActionRequest {
    ActionRequest::new("reply")
        .field("result", "已拆除")
        .field("opinion", "已于3月拆除")
        .attachments(2)
}

#[test]
fn supervision_main_path_closes_into_the_register() {
    let reg = registry();
    let now = cst_at(3, 2, 10, 0); // Monday
    let mut case = Case::create(
        reg.engine("supervision").unwrap(),
        &huangpu_office(),
        new_case(Level::Township),
        issue(),
        now,
    );
    assert_eq!(case.state.state, "handling");
    // 15 working days from Monday 2 March: the last is Monday 23 March.
    let due = case.state.due.clone().unwrap();
    assert_eq!(
        (due.at, due.state.as_str()),
        (cst_at(3, 24, 0, 0), "handling")
    );
    assert_eq!(case.can(&nanjing_rd()), ["set_reminder", "reply"]);
    assert_eq!(case.can(&huangpu_office()), ["set_reminder"]);
    assert_eq!(case.can(&city_office()), ["set_reminder"]);
    assert!(case.can(&bund()).is_empty());
    assert!(case.can(&xuhui_office()).is_empty());

    case.act(&nanjing_rd(), reply(), cst_at(3, 10, 9, 0));
    assert_eq!(case.state.state, "replied");
    assert_eq!(case.state.due, None);
    assert_eq!(case.can(&nanjing_rd()), ["set_reminder"]);
    assert_eq!(
        case.can(&huangpu_office()),
        ["set_reminder", "confirm", "not_confirmed"]
    );

    let confirm = ActionRequest::new("confirm")
        .field("check_date", "2026-03-12")
        .field("check_notes", "现场已拆除")
        .attachments(1);
    case.act(&huangpu_office(), confirm, cst_at(3, 12, 15, 0));
    assert_eq!(case.state.state, "closed");
    let closed = case.engine.def().state("closed").unwrap();
    assert_eq!(closed.register.as_deref(), Some("closed_out"));
    assert!(case.state.timers().is_empty());
    for who in [nanjing_rd(), huangpu_office(), city_office()] {
        assert!(case.can(&who).is_empty());
    }
    assert_eq!(case.trail(), ["issue", "reply", "confirm"]);
    assert_eq!(case.history[1].fields["result"], "已拆除");
    assert_eq!(case.history[2].to, "closed");
}

#[test]
fn supervision_late_reply_is_urged_and_a_failed_check_urges_again() {
    let reg = registry();
    let mut case = Case::create(
        reg.engine("supervision").unwrap(),
        &huangpu_office(),
        new_case(Level::Township),
        issue(),
        cst_at(3, 2, 10, 0),
    );
    let urge = || ActionRequest::new("urge").field("opinion", "请尽快办理");
    // Not overdue yet: urging is refused and not offered.
    let err = case.try_act(&huangpu_office(), urge(), cst_at(3, 20, 9, 0));
    assert!(
        matches!(err, ActionError::Condition { ref action, .. } if action == "urge"),
        "{err}"
    );

    // The deadline passes at 24:00 on 23 March; the scheduler runs at 00:05.
    let fired = case.tick(cst_at(3, 24, 0, 5));
    assert_eq!(fired, [(EntryKind::Deadline, cst_at(3, 24, 0, 0))]);
    assert!(case.state.overdue);
    let entry = case.history.last().unwrap();
    assert_eq!(
        entry.fields["effects"],
        serde_json::json!(["remind", "mark_overdue"])
    );
    assert_eq!(
        entry.fields["fired_at"],
        serde_json::json!(cst_at(3, 24, 0, 5))
    );
    assert!(case.tick(cst_at(3, 25, 0, 0)).is_empty(), "fires once");

    assert_eq!(case.can(&huangpu_office()), ["urge", "set_reminder"]);
    assert_eq!(case.can(&city_office()), ["urge", "set_reminder"]);
    case.act(&huangpu_office(), urge(), cst_at(3, 24, 9, 0));
    case.act(
        &city_office(),
        ActionRequest::new("urge"),
        cst_at(3, 25, 9, 0),
    );
    assert_eq!(case.state.counter("urge_count"), 2);
    assert_eq!(case.state.state, "handling");
    assert!(case.state.overdue, "urging keeps the deadline and the flag");
    let err = case.try_act(&nanjing_rd(), urge(), cst_at(3, 25, 9, 0));
    assert_eq!(
        err,
        ActionError::ForbiddenRole {
            action: "urge".into(),
            allowed_roles: vec![
                "city_demolition_office".into(),
                "district_demolition_office".into()
            ],
            allowed_levels: vec![Level::City, Level::District],
        }
    );
    assert!(
        err.to_string()
            .contains("city_demolition_office, district_demolition_office")
    );

    case.act(&nanjing_rd(), reply(), cst_at(3, 26, 9, 0));
    let not_confirmed = ActionRequest::new("not_confirmed")
        .field("check_date", "2026-03-27")
        .field("reason", "现场仍有搭建");
    case.act(&huangpu_office(), not_confirmed, cst_at(3, 27, 16, 0));
    assert_eq!(case.state.state, "handling");
    assert_eq!(case.state.counter("assessment_count"), 1);
    assert_eq!(case.state.counter("urge_count"), 3);
    assert!(!case.state.overdue, "a fresh deadline");
    // 15 working days from Friday 27 March, with 清明 (4–6 April) off: Monday 20 April.
    assert_eq!(case.state.due.as_ref().unwrap().at, cst_at(4, 21, 0, 0));

    case.act(&nanjing_rd(), reply(), cst_at(4, 1, 9, 0));
    let confirm = ActionRequest::new("confirm")
        .field("check_date", "2026-04-02")
        .field("check_notes", "已整改")
        .attachments(1);
    case.act(&city_office(), confirm, cst_at(4, 2, 9, 0));
    assert_eq!(
        case.trail(),
        [
            "issue",
            "deadline",
            "urge",
            "urge",
            "reply",
            "not_confirmed",
            "reply",
            "confirm"
        ]
    );
    assert_eq!(case.state.state, "closed");
}

#[test]
fn supervision_refusals_name_what_is_wrong() {
    let reg = registry();
    let now = cst_at(3, 2, 10, 0);
    let case = Case::create(
        reg.engine("supervision").unwrap(),
        &huangpu_office(),
        new_case(Level::Township),
        issue(),
        now,
    );
    // Another township of the same district, another district: 403 jurisdiction.
    let err = case.try_act(&bund(), reply(), now);
    assert!(
        matches!(err, ActionError::ForbiddenJurisdiction { ref township_code, .. } if township_code.as_deref() == Some(NANJING_RD)),
        "{err}"
    );
    let err = case.try_act(
        &xuhui_office(),
        ActionRequest::new("set_reminder").field("remind_at", "2026-03-05T09:00:00+08:00"),
        now,
    );
    assert!(
        matches!(err, ActionError::ForbiddenJurisdiction { .. }),
        "{err}"
    );
    // A role the action does not name.
    let err = case.try_act(&officer(), reply(), now);
    assert!(
        matches!(err, ActionError::ForbiddenRole { ref allowed_roles, .. } if allowed_roles == &["district_demolition_office", "township_office"]),
        "{err}"
    );
    // Not in this state: the message lists what the caller may do instead.
    let err = case.try_act(&huangpu_office(), ActionRequest::new("confirm"), now);
    assert_eq!(
        err,
        ActionError::NotAllowedInState {
            action: "confirm".into(),
            state: "handling".into(),
            allowed: vec!["set_reminder".into()],
        }
    );
    assert!(matches!(
        case.try_act(&nanjing_rd(), ActionRequest::new("approve"), now),
        ActionError::UnknownAction { .. }
    ));
    // Fields and attachments.
    let err = case.try_act(&nanjing_rd(), reply().attachments(0), now);
    assert_eq!(
        err,
        ActionError::MissingAttachments {
            required: 1,
            given: 0
        }
    );
    let err = case.try_act(
        &nanjing_rd(),
        ActionRequest::new("reply")
            .field("result", "已拆除")
            .attachments(1),
        now,
    );
    assert_eq!(
        err,
        ActionError::MissingField {
            field: "opinion".into()
        }
    );
    let err = case.try_act(&nanjing_rd(), reply().field("result", "不知道"), now);
    assert!(
        matches!(err, ActionError::InvalidField { ref field, ref reason } if field == "result" && reason.contains("已拆除")),
        "{err}"
    );
    let err = case.try_act(&nanjing_rd(), reply().field("colour", "red"), now);
    assert!(
        matches!(err, ActionError::UnknownField { ref field, .. } if field == "colour"),
        "{err}"
    );
    // Creating: only the demolition offices, inside their district.
    let engine = reg.engine("supervision").unwrap();
    let err = engine
        .create(&nanjing_rd(), new_case(Level::Township), issue(), now)
        .unwrap_err();
    assert!(matches!(err, ActionError::ForbiddenRole { .. }), "{err}");
    let err = engine
        .create(&xuhui_office(), new_case(Level::Township), issue(), now)
        .unwrap_err();
    assert!(
        matches!(err, ActionError::ForbiddenJurisdiction { .. }),
        "{err}"
    );
    let err = engine
        .create(&huangpu_office(), new_case(Level::Township), reply(), now)
        .unwrap_err();
    assert!(
        matches!(err, ActionError::NotAllowedInState { ref allowed, .. } if allowed == &["issue"]),
        "{err}"
    );
}

#[test]
fn two_officers_at_once_one_wins() {
    let reg = registry();
    let now = cst_at(3, 2, 10, 0);
    let mut case = Case::create(
        reg.engine("supervision").unwrap(),
        &huangpu_office(),
        new_case(Level::Township),
        issue(),
        now,
    );
    // Both read version 1. The first write wins...
    case.act(&nanjing_rd(), reply(), now);
    // ...the second, sent with If-Match 1 against the now current case, is a conflict.
    let err = case.try_act(
        &huangpu_office(),
        ActionRequest::new("set_reminder")
            .field("remind_at", "2026-03-05T09:00:00+08:00")
            .expect_version(1),
        now,
    );
    assert_eq!(
        err,
        ActionError::VersionConflict {
            expected: 1,
            current: 2
        }
    );
    let other = reg.engine("hotline_order").unwrap();
    let err = other
        .apply(&case.state, &nanjing_rd(), reply(), now)
        .unwrap_err();
    assert!(matches!(err, ActionError::WrongWorkflow { .. }), "{err}");
}

#[test]
fn absolute_reminders_fire_once() {
    let reg = registry();
    let mut case = Case::create(
        reg.engine("supervision").unwrap(),
        &huangpu_office(),
        new_case(Level::Township),
        issue(),
        cst_at(3, 2, 10, 0),
    );
    let set = |at: &str| ActionRequest::new("set_reminder").field("remind_at", at);
    let err = case.try_act(
        &nanjing_rd(),
        set("2026-03-01T09:00:00+08:00"),
        cst_at(3, 2, 11, 0),
    );
    assert!(
        matches!(err, ActionError::InvalidField { ref reason, .. } if reason == "must be in the future"),
        "{err}"
    );
    case.act(
        &nanjing_rd(),
        set("2026-03-05T09:00:00+08:00").comment("约当事人"),
        cst_at(3, 2, 11, 0),
    );
    case.act(
        &huangpu_office(),
        set("2026-03-04T09:00:00+08:00"),
        cst_at(3, 2, 12, 0),
    );
    assert_eq!(case.state.state, "handling");
    let kinds: Vec<TimerKind> = case.state.timers().iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        [
            TimerKind::Reminder,
            TimerKind::Reminder,
            TimerKind::Deadline
        ]
    );
    assert_eq!(case.state.next_timer_at(), Some(cst_at(3, 4, 9, 0)));

    assert!(case.tick(cst_at(3, 4, 8, 59)).is_empty());
    assert_eq!(
        case.tick(cst_at(3, 4, 9, 0)),
        [(EntryKind::Reminder, cst_at(3, 4, 9, 0))]
    );
    assert!(
        case.tick(cst_at(3, 4, 9, 0)).is_empty(),
        "the same window again fires nothing"
    );
    assert_eq!(
        case.tick(cst_at(3, 6, 0, 0)),
        [(EntryKind::Reminder, cst_at(3, 5, 9, 0))]
    );
    let entry = case.history.last().unwrap();
    assert_eq!(
        (
            entry.fields["note"].as_str(),
            entry.fields["set_by"].as_str()
        ),
        (Some("约当事人"), Some("t1"))
    );
    assert_eq!(case.state.timers().len(), 1);
    // The store keeps the state and the history as JSON; both read back unchanged.
    let json = serde_json::to_string(&case.state).unwrap();
    assert_eq!(
        serde_json::from_str::<CaseState>(&json).unwrap(),
        case.state
    );
    for entry in &case.history {
        let json = serde_json::to_string(entry).unwrap();
        assert_eq!(&serde_json::from_str::<HistoryEntry>(&json).unwrap(), entry);
    }
}

#[test]
fn sampling_check_sends_back_with_the_reason_and_closes() {
    let reg = registry();
    let sample = ActionRequest::new("sample").field("case_ref", "HP-2026-0012");
    let mut case = Case::create(
        reg.engine("sampling_check").unwrap(),
        &city_office(),
        new_case(Level::Township),
        sample,
        cst_at(2, 12, 10, 0),
    );
    assert_eq!(case.state.state, "checking");
    // Thursday 12 Feb + 10 working days: 13, Sat 14 (make-up), 24, 25, 26, 27, Sat 28, 2, 3, 4 March.
    assert_eq!(case.state.due.as_ref().unwrap().at, cst_at(3, 5, 0, 0));
    assert!(case.can(&nanjing_rd()).is_empty());
    assert_eq!(case.can(&huangpu_office()), ["confirm", "send_back"]);
    assert!(case.can(&xuhui_office()).is_empty());

    let send_back = ActionRequest::new("send_back")
        .field("check_date", "2026-02-13")
        .field("problem", "现场不一致")
        .field("reason", "台账记载已拆除，现场仍在");
    case.act(&huangpu_office(), send_back, cst_at(2, 13, 16, 0));
    assert_eq!(case.state.state, "sent_back");
    assert_eq!(
        case.history.last().unwrap().fields["reason"],
        "台账记载已拆除，现场仍在"
    );
    assert_eq!(case.state.counter("send_back_count"), 1);
    assert_eq!(case.can(&nanjing_rd()), ["resubmit"]);
    assert!(case.can(&bund()).is_empty());
    assert!(case.can(&huangpu_office()).is_empty());
    let resubmit = ActionRequest::new("resubmit").field("rectification", "已补拆");
    let err = case.try_act(&nanjing_rd(), resubmit.clone(), cst_at(2, 26, 9, 0));
    assert_eq!(
        err,
        ActionError::MissingAttachments {
            required: 1,
            given: 0
        }
    );
    case.act(&nanjing_rd(), resubmit.attachments(3), cst_at(2, 26, 9, 0));
    assert_eq!(case.state.state, "checking");

    let confirm = ActionRequest::new("confirm")
        .field("check_date", "2026-02-27")
        .attachments(1);
    case.act(&huangpu_office(), confirm, cst_at(2, 27, 9, 0));
    assert_eq!(case.state.state, "closed");
    assert_eq!(case.trail(), ["sample", "send_back", "resubmit", "confirm"]);
}

fn receive() -> ActionRequest {
    ActionRequest::new("receive")
        .field("order_no", "12345-20260302-0001")
        .field("source", "12345")
        .field("content", "夜间施工噪声")
}

fn hotline_case(reg: &Registry, now: DateTime<Utc>) -> Case<'_> {
    let mut case = Case::create(
        reg.engine("hotline_order").unwrap(),
        &hotline(),
        new_case(Level::Township),
        receive(),
        now,
    );
    case.act(
        &squad(),
        ActionRequest::new("assign").field("officer", "o1"),
        now + Duration::hours(1),
    );
    case
}

#[test]
fn hotline_order_main_path_with_a_rejected_review() {
    let reg = registry();
    let now = cst_at(3, 2, 9, 0);
    let mut case = Case::create(
        reg.engine("hotline_order").unwrap(),
        &hotline(),
        new_case(Level::Township),
        receive(),
        now,
    );
    assert_eq!(case.state.state, "received");
    assert_eq!(case.can(&squad()), ["assign"]);
    assert!(case.can(&officer()).is_empty());
    assert!(case.can(&hotline()).is_empty());
    case.act(
        &squad(),
        ActionRequest::new("assign").field("officer", "o1"),
        cst_at(3, 2, 10, 0),
    );
    assert_eq!(case.state.state, "assigned");
    assert_eq!(case.state.due.as_ref().unwrap().at, cst_at(3, 10, 0, 0));
    assert_eq!(
        case.can(&officer()),
        ["record", "request_extension", "request_return"]
    );
    assert!(case.can(&squad()).is_empty());

    let record = || {
        ActionRequest::new("record")
            .field("measures", "责令停止夜间施工")
            .attachments(1)
    };
    let feedback = || {
        ActionRequest::new("feedback")
            .field("method", "电话")
            .field("satisfied", true)
    };
    case.act(&officer(), record(), cst_at(3, 3, 10, 0));
    assert_eq!(case.can(&officer()), ["feedback"]);
    case.act(&officer(), feedback(), cst_at(3, 3, 11, 0));
    assert_eq!(case.state.state, "reviewing");
    assert_eq!(case.can(&squad()), ["approve", "reject_review"]);
    case.act(
        &squad(),
        ActionRequest::new("reject_review").field("reason", "缺少现场照片"),
        cst_at(3, 3, 14, 0),
    );
    assert_eq!(case.state.state, "assigned");
    assert_eq!(case.state.counter("review_rejections"), 1);
    case.act(&officer(), record(), cst_at(3, 4, 10, 0));
    case.act(&officer(), feedback(), cst_at(3, 4, 11, 0));
    case.act(&squad(), ActionRequest::new("approve"), cst_at(3, 4, 14, 0));
    assert_eq!(case.state.state, "closed");
    assert_eq!(
        case.trail(),
        [
            "receive",
            "assign",
            "record",
            "feedback",
            "reject_review",
            "record",
            "feedback",
            "approve"
        ]
    );
    let err = case.try_act(&squad(), ActionRequest::new("approve"), cst_at(3, 4, 15, 0));
    assert!(
        matches!(err, ActionError::NotAllowedInState { ref allowed, .. } if allowed.is_empty()),
        "{err}"
    );
}

#[test]
fn hotline_return_climbs_level_by_level() {
    let reg = registry();
    let mut case = hotline_case(&reg, cst_at(3, 2, 9, 0));
    let due = case.state.due.clone();
    let why = |r: &str| ActionRequest::new(r).field("reason", "不属于本部门职责");
    case.act(&officer(), why("request_return"), cst_at(3, 3, 9, 0));
    assert_eq!(case.state.state, "return_squad");
    assert_eq!(case.state.due, due, "the handling deadline keeps running");
    assert_eq!(
        case.can(&squad()),
        ["squad_approve_return", "squad_refuse_return"]
    );
    assert!(case.can(&bureau()).is_empty());
    assert!(case.can(&hotline()).is_empty());

    case.act(
        &squad(),
        ActionRequest::new("squad_approve_return"),
        cst_at(3, 3, 10, 0),
    );
    assert_eq!(case.state.state, "return_district");
    assert!(case.can(&squad()).is_empty());
    assert!(case.can(&xuhui_bureau()).is_empty());
    assert_eq!(
        case.can(&bureau()),
        ["district_approve_return", "district_refuse_return"]
    );

    // The district refuses: back to the officer, same deadline.
    case.act(
        &bureau(),
        why("district_refuse_return"),
        cst_at(3, 3, 11, 0),
    );
    assert_eq!(case.state.state, "assigned");
    assert_eq!(case.state.due, due);

    case.act(&officer(), why("request_return"), cst_at(3, 4, 9, 0));
    case.act(
        &squad(),
        ActionRequest::new("squad_approve_return"),
        cst_at(3, 4, 10, 0),
    );
    case.act(
        &bureau(),
        ActionRequest::new("district_approve_return"),
        cst_at(3, 4, 11, 0),
    );
    assert_eq!(case.state.state, "return_center");
    assert_eq!(
        case.can(&hotline()),
        ["center_accept_return", "center_refuse_return"]
    );
    assert!(case.can(&bureau()).is_empty());
    case.act(
        &hotline(),
        ActionRequest::new("center_accept_return"),
        cst_at(3, 4, 15, 0),
    );
    assert_eq!(case.state.state, "returned");
    assert_eq!(case.state.counter("return_count"), 1);
    assert!(case.state.timers().is_empty());
    assert_eq!(
        case.trail(),
        [
            "receive",
            "assign",
            "request_return",
            "squad_approve_return",
            "district_refuse_return",
            "request_return",
            "squad_approve_return",
            "district_approve_return",
            "center_accept_return"
        ]
    );
}

#[test]
fn hotline_extension_is_asked_in_time_and_approved_or_refused() {
    let reg = registry();
    let mut case = hotline_case(&reg, cst_at(3, 2, 9, 0));
    // Assigned Monday 2 March 10:00: five working days end with Monday 9 March.
    assert_eq!(case.state.due.as_ref().unwrap().at, cst_at(3, 10, 0, 0));
    let ask = |days: u64| {
        ActionRequest::new("request_extension")
            .field("days", days)
            .field("reason", "需协调多部门")
    };
    case.act(&officer(), ask(5), cst_at(3, 5, 9, 0));
    assert_eq!(case.state.state, "extension_review");
    assert_eq!(
        case.can(&squad()),
        ["approve_extension", "reject_extension"]
    );
    let err = case.try_act(
        &squad(),
        ActionRequest::new("approve_extension").field("days", 1.5),
        cst_at(3, 5, 10, 0),
    );
    assert!(
        matches!(err, ActionError::InvalidField { ref field, .. } if field == "days"),
        "{err}"
    );
    case.act(
        &squad(),
        ActionRequest::new("approve_extension").field("days", 3),
        cst_at(3, 5, 10, 0),
    );
    assert_eq!(case.state.state, "assigned");
    assert_eq!(case.state.counter("extension_count"), 1);
    // Three more working days after Monday 9 March: Tuesday to Thursday.
    assert_eq!(case.state.due.as_ref().unwrap().at, cst_at(3, 13, 0, 0));

    case.act(&officer(), ask(2), cst_at(3, 11, 9, 0));
    case.act(
        &squad(),
        ActionRequest::new("reject_extension").field("reason", "无正当理由"),
        cst_at(3, 11, 10, 0),
    );
    assert_eq!(case.state.due.as_ref().unwrap().at, cst_at(3, 13, 0, 0));
    assert_eq!(case.state.counter("extension_count"), 1);

    // Once overdue, it is too late to ask.
    assert_eq!(
        case.tick(cst_at(3, 13, 8, 0)),
        [(EntryKind::Deadline, cst_at(3, 13, 0, 0))]
    );
    assert!(case.state.overdue);
    assert_eq!(case.can(&officer()), ["record", "request_return"]);
    let err = case.try_act(&officer(), ask(1), cst_at(3, 13, 9, 0));
    assert!(matches!(err, ActionError::Condition { .. }), "{err}");
    assert_eq!(
        case.trail(),
        [
            "receive",
            "assign",
            "request_extension",
            "approve_extension",
            "request_extension",
            "reject_extension",
            "deadline"
        ]
    );
}

#[test]
fn an_unassigned_hotline_order_escalates_to_the_district_then_the_city() {
    let reg = registry();
    // Friday 13 Feb: one working day is Saturday 14 (make-up).
    let mut case = Case::create(
        reg.engine("hotline_order").unwrap(),
        &hotline(),
        new_case(Level::Township),
        receive(),
        cst_at(2, 13, 16, 0),
    );
    assert_eq!(case.state.due.as_ref().unwrap().at, cst_at(2, 15, 0, 0));
    let fired = case.tick(cst_at(2, 15, 8, 0));
    assert_eq!(fired, [(EntryKind::Deadline, cst_at(2, 15, 0, 0))]);
    assert_eq!(
        (case.state.level, case.state.escalations),
        (Level::District, 1)
    );
    let entry = case.history.last().unwrap();
    assert_eq!(entry.fields["escalated_from"], "township");
    assert_eq!(entry.fields["escalated_to"], "district");
    // The renewed deadline: one more working day, and the Spring Festival is off.
    assert_eq!(
        entry.fields["next_due_at"],
        serde_json::json!(cst_at(2, 25, 0, 0))
    );
    let assign = || ActionRequest::new("assign").field("officer", "o1");
    let err = case.try_act(&squad(), assign(), cst_at(2, 15, 9, 0));
    assert_eq!(
        err,
        ActionError::NotResponsible {
            action: "assign".into(),
            responsible: Level::District
        }
    );
    assert!(case.can(&squad()).is_empty());
    assert_eq!(case.can(&bureau()), ["assign"]);
    assert!(case.can(&xuhui_bureau()).is_empty());

    // Nobody acts over the holiday; the next deadline takes it to the hotline centre.
    assert_eq!(
        case.tick(cst_at(2, 25, 8, 0)),
        [(EntryKind::Deadline, cst_at(2, 25, 0, 0))]
    );
    assert_eq!((case.state.level, case.state.escalations), (Level::City, 2));
    assert!(case.tick(cst_at(2, 25, 8, 0)).is_empty());
    assert!(case.can(&bureau()).is_empty());
    assert_eq!(case.can(&hotline()), ["assign"]);
    case.act(&hotline(), assign(), cst_at(2, 25, 9, 0));
    assert_eq!(case.state.state, "assigned");
    assert_eq!(case.trail(), ["receive", "deadline", "deadline", "assign"]);
}

fn raise() -> ActionRequest {
    ActionRequest::new("raise")
        .field("sensor_id", "WL-0042")
        .field("feature_id", "illegal_buildings/1")
        .field("alarm_type", "水位")
        .field("reading", 3.2)
}

#[test]
fn iot_alarm_escalates_once_per_deadline_across_a_restart() {
    let reg = registry();
    let engine = reg.engine("iot_alarm").unwrap();
    let t0 = cst_at(6, 1, 10, 0);
    let mut case = Case::create(
        engine,
        &Actor::system(),
        new_case(Level::Township),
        raise(),
        t0,
    );
    assert_eq!(
        case.can(&operator(Level::Township)),
        ["dispatch", "mark_false_alarm"]
    );
    assert_eq!(case.can(&operator(Level::District)), ["mark_false_alarm"]);

    // The scheduler processes 11:30 (the 11:00 deadline escalates to the district) but
    // the server dies before the write: the persisted case is still the old one.
    let lost = engine.fire_due(&case.state, t0 + Duration::minutes(90));
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].case.level, Level::District);
    // After the restart at 12:30, both the 11:00 and the 12:00 deadlines fire, once each.
    let fired = case.tick(t0 + Duration::minutes(150));
    assert_eq!(
        fired,
        [
            (EntryKind::Deadline, t0 + Duration::hours(1)),
            (EntryKind::Deadline, t0 + Duration::hours(2))
        ]
    );
    assert_eq!((case.state.level, case.state.escalations), (Level::City, 2));
    // Re-running the same window, or a later one before the next deadline, fires nothing.
    assert!(case.tick(t0 + Duration::minutes(150)).is_empty());
    assert!(case.tick(t0 + Duration::minutes(179)).is_empty());
    // At the top, the 13:00 deadline can escalate no further and is spent.
    let fired = case.tick(t0 + Duration::hours(5));
    assert_eq!(fired, [(EntryKind::Deadline, t0 + Duration::hours(3))]);
    assert_eq!(
        case.history.last().unwrap().fields["escalation"],
        "already at the top level"
    );
    assert_eq!(case.state.level, Level::City);
    assert!(case.state.timers().is_empty());
    assert!(case.tick(t0 + Duration::hours(48)).is_empty());

    // The alarm is now the city duty desk's.
    assert!(
        case.can(&operator(Level::Township))
            .iter()
            .all(|a| *a != "dispatch")
    );
    assert_eq!(
        case.can(&operator(Level::City)),
        ["dispatch", "mark_false_alarm"]
    );
    case.act(
        &operator(Level::City),
        ActionRequest::new("dispatch").field("assignee", "o1"),
        t0 + Duration::hours(5),
    );
    assert_eq!(case.state.due.as_ref().unwrap().at, t0 + Duration::hours(9));
    let handle = ActionRequest::new("handle")
        .field("measures", "疏通排水")
        .attachments(1);
    case.act(&officer(), handle.clone(), t0 + Duration::hours(6));
    assert_eq!(
        case.can(&operator(Level::Township)),
        ["confirm", "reject_handling"]
    );
    case.act(
        &operator(Level::Township),
        ActionRequest::new("reject_handling").field("reason", "水位未降"),
        t0 + Duration::hours(7),
    );
    assert_eq!(case.state.state, "dispatched");
    case.act(&officer(), handle, t0 + Duration::hours(8));
    case.act(
        &operator(Level::District),
        ActionRequest::new("confirm"),
        t0 + Duration::hours(8),
    );
    assert_eq!(case.state.state, "closed");
    assert_eq!(
        case.trail(),
        [
            "raise",
            "deadline",
            "deadline",
            "deadline",
            "dispatch",
            "handle",
            "reject_handling",
            "handle",
            "confirm"
        ]
    );
}

#[test]
fn iot_false_alarm() {
    let reg = registry();
    let t0 = cst_at(6, 1, 10, 0);
    let mut case = Case::create(
        reg.engine("iot_alarm").unwrap(),
        &operator(Level::Township),
        new_case(Level::Township),
        raise(),
        t0,
    );
    case.act(
        &operator(Level::Township),
        ActionRequest::new("dispatch").field("assignee", "o1"),
        t0 + Duration::minutes(10),
    );
    assert_eq!(case.can(&officer()), ["handle"]);
    let err = case.try_act(
        &officer(),
        ActionRequest::new("handle")
            .field("measures", "到场")
            .attachments(0),
        t0,
    );
    assert_eq!(
        err,
        ActionError::MissingAttachments {
            required: 1,
            given: 0
        }
    );
    case.act(
        &operator(Level::Township),
        ActionRequest::new("mark_false_alarm").field("reason", "传感器故障"),
        t0 + Duration::minutes(20),
    );
    assert_eq!(case.state.state, "false_alarm");
    assert!(case.state.timers().is_empty());
    assert!(case.tick(t0 + Duration::days(1)).is_empty());
    assert!(case.can(&operator(Level::City)).is_empty());
    assert_eq!(case.trail(), ["raise", "dispatch", "mark_false_alarm"]);
}

#[test]
fn mermaid_diagrams_show_states_and_actions() {
    let reg = registry();
    let text = mermaid(reg.workflow("supervision").unwrap());
    assert!(text.starts_with("stateDiagram-v2\n"), "{text}");
    for line in [
        "    state \"办理中 (15工作日)\" as handling",
        "    [*] --> handling: 下发督办单",
        "    handling --> handling: 催办",
        "    replied --> closed: 现场核查属实",
        "    replied --> handling: 核查不属实",
        "    closed --> [*]",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    for def in reg.workflows() {
        assert!(mermaid(def).contains(&format!("[*] --> {}", def.initial)));
    }
}
