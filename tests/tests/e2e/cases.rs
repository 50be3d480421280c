//! Case workflows over HTTP (issue #7): each shipped workflow walked through its main and
//! side paths by different callers (development headers), checking history and the actions
//! offered at each step; refusals; two officers at once; timers on a fake clock, across a
//! restart; events, webhooks, attachments, lists, statistics and the `cases` tile layer.

mod support;

use std::time::Duration;

use onemap_api::clock::FakeClock;
use onemap_e2e::mvt::{decode, tile_of};
use onemap_e2e::{Backend, TestServer, assert_problem, config};
use reqwest::Method;
use serde_json::{Value, json};
use support::*;

onemap_e2e::both_backends!(
    supervision_urged_sent_back_and_closed,
    hotline_order_with_review_extension_and_returns,
    hotline_order_unassigned_escalates,
    sampling_check_sent_back_and_confirmed,
    iot_alarm_handled_rejected_and_false_alarm,
    refusals_name_what_is_wrong,
    two_officers_at_once_one_wins,
    timers_fire_once_across_a_restart,
    events_stream_and_webhooks_with_retries,
    attachments_are_converted_and_limited,
    lists_stats_and_the_cases_tile,
);

async fn supervision_urged_sent_back_and_closed(b: Backend) {
    let env = Env::start(b, json!({})).await;
    let fid = env.building(1).await;
    let case = env
        .open(
            HUANGPU_OFFICE,
            json!({"workflow": "supervision", "feature": {"collection": "illegal_buildings", "id": fid},
                   "fields": issue(), "comment": "限期整改"}),
        )
        .await;
    let id = case["id"].as_i64().unwrap();
    assert_eq!(
        (&case["state"], &case["version"], &case["level"]),
        (&json!("handling"), &json!(1), &json!("township"))
    );
    assert_eq!(
        case["feature"],
        json!({"collection": "illegal_buildings", "id": fid})
    );
    assert_eq!(case["district_code"], HUANGPU);
    assert_eq!(case["township_code"], NANJING_RD);
    assert_eq!(ids(&case["available_actions"]), ["set_reminder"]);
    let first = &case["history"][0];
    assert_eq!(
        (
            &first["user"],
            &first["role"],
            &first["level"],
            &first["from"],
            &first["to"]
        ),
        (
            &json!("d1"),
            &json!("district_demolition_office"),
            &json!("district"),
            &Value::Null,
            &json!("handling")
        )
    );
    assert_eq!(first["comment"], "限期整改");
    assert_eq!(first["fields"]["supervision_level"], "挂牌");
    assert_eq!(
        env.can(NANJING_RD_OFFICE, id).await,
        ["set_reminder", "reply"]
    );
    assert!(env.can(BUND_OFFICE, id).await.is_empty());
    assert!(env.can(XUHUI_OFFICE, id).await.is_empty());

    // Not overdue yet: urging is refused.
    let p = env.refuse(HUANGPU_OFFICE, id, "urge", json!({}), 422).await;
    assert!(p["detail"].as_str().unwrap().contains("overdue"), "{p}");

    let due = case["deadline"]["at"].as_str().unwrap().to_string();
    env.clock.move_to(&due);
    env.clock.advance(Duration::from_secs(300));
    let case = env.wait_for(id, |c| c["overdue"] == true).await;
    let deadline = case["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&deadline["action"], &deadline["user"]),
        (&json!("deadline"), &json!("system"))
    );
    assert_eq!(
        deadline["fields"]["effects"],
        json!(["remind", "mark_overdue"])
    );
    assert_eq!(env.can(HUANGPU_OFFICE, id).await, ["urge", "set_reminder"]);

    env.act(
        HUANGPU_OFFICE,
        id,
        "urge",
        json!({"fields": {"opinion": "请尽快办理"}}),
    )
    .await;
    let case = env.act(CITY_OFFICE, id, "urge", json!({})).await;
    assert_eq!(case["urge_count"], 2);
    assert!(
        case["overdue"] == true,
        "urging keeps the deadline and the flag"
    );
    let p = env
        .refuse(NANJING_RD_OFFICE, id, "urge", json!({}), 403)
        .await;
    assert_eq!(
        p["allowed_roles"],
        json!(["city_demolition_office", "district_demolition_office"])
    );
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("city_demolition_office"),
        "{p}"
    );

    let case = env.act(NANJING_RD_OFFICE, id, "reply", reply()).await;
    assert_eq!(case["state"], "replied");
    assert_eq!(ids(&case["available_actions"]), ["set_reminder"]);
    let last = case["history"].as_array().unwrap().last().unwrap();
    assert_eq!(last["attachments"].as_array().unwrap().len(), 1);
    assert_eq!(
        env.can(HUANGPU_OFFICE, id).await,
        ["set_reminder", "confirm", "not_confirmed"]
    );
    // Sent back: the check on site finds it not done.
    let case = env
        .act(
            HUANGPU_OFFICE,
            id,
            "not_confirmed",
            json!({"fields": {"check_date": "2026-03-27", "reason": "现场仍有搭建"}}),
        )
        .await;
    assert_eq!(
        (&case["state"], &case["urge_count"], &case["overdue"]),
        (&json!("handling"), &json!(3), &json!(false))
    );
    assert_eq!(case["counters"]["assessment_count"], 1);
    assert!(
        case["deadline"]["at"].as_str().unwrap() > due.as_str(),
        "a fresh deadline"
    );

    env.act(NANJING_RD_OFFICE, id, "reply", reply()).await;
    let confirm = json!({"fields": {"check_date": "2026-04-02", "check_notes": "已整改"},
                         "attachments": [png("check.png")]});
    let case = env.act(CITY_OFFICE, id, "confirm", confirm).await;
    assert_eq!(
        (&case["state"], &case["terminal"]),
        (&json!("closed"), &json!(true))
    );
    assert_eq!(
        case["register"], "closed_out",
        "filed in the closed-out register (销项库)"
    );
    assert!(case["available_actions"].as_array().unwrap().is_empty());
    assert_eq!(case["deadline"], Value::Null);
    assert_eq!(
        trail(&case),
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
    let versions: Vec<i64> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["version"].as_i64().unwrap())
        .collect();
    assert_eq!(
        versions,
        (1..=8).collect::<Vec<_>>(),
        "one entry per version"
    );
    assert_eq!(case["attachments"].as_array().unwrap().len(), 3);
}

async fn hotline_order_with_review_extension_and_returns(b: Backend) {
    let env = Env::start(b, json!({})).await;
    // On a new location: the feature is created with the case.
    let case = env.open(HOTLINE, receive_on_new_feature(7)).await;
    let id = case["id"].as_i64().unwrap();
    let fid = case["feature"]["id"].as_i64().unwrap();
    assert_eq!(case["feature"]["collection"], "illegal_buildings");
    let f = env
        .s
        .get_json(&format!("/collections/illegal_buildings/items/{fid}"), 200)
        .await;
    assert_eq!(f["properties"]["code"], code(7));
    assert_eq!(env.can(SQUAD, id).await, ["assign"]);
    assert!(env.can(OFFICER, id).await.is_empty());

    let case = env
        .act(SQUAD, id, "assign", json!({"fields": {"officer": "o1"}}))
        .await;
    assert_eq!(case["state"], "assigned");
    let due = case["deadline"]["at"].as_str().unwrap().to_string();
    assert_eq!(
        env.can(OFFICER, id).await,
        ["record", "request_extension", "request_return"]
    );

    // Extension: asked in time, approved for 3 working days.
    let ask = json!({"fields": {"days": 5, "reason": "需协调多部门"}});
    let case = env.act(OFFICER, id, "request_extension", ask).await;
    assert_eq!(case["state"], "extension_review");
    assert_eq!(case["deadline"]["at"], due, "the deadline keeps running");
    assert_eq!(
        env.can(SQUAD, id).await,
        ["approve_extension", "reject_extension"]
    );
    let case = env
        .act(
            SQUAD,
            id,
            "approve_extension",
            json!({"fields": {"days": 3}}),
        )
        .await;
    assert_eq!(case["counters"]["extension_count"], 1);
    assert!(case["deadline"]["at"].as_str().unwrap() > due.as_str());

    // A return climbs: the squad approves, the district bureau refuses.
    let why = json!({"fields": {"reason": "不属于本部门职责"}});
    env.act(OFFICER, id, "request_return", why.clone()).await;
    assert!(env.can(BUREAU, id).await.is_empty());
    let case = env.act(SQUAD, id, "squad_approve_return", json!({})).await;
    assert_eq!(case["state"], "return_district");
    assert!(env.can(XUHUI_BUREAU, id).await.is_empty());
    assert_eq!(
        env.can(BUREAU, id).await,
        ["district_approve_return", "district_refuse_return"]
    );
    let case = env
        .act(BUREAU, id, "district_refuse_return", why.clone())
        .await;
    assert_eq!(case["state"], "assigned");

    // Handled, sent back by the review, handled again and approved.
    let record =
        || json!({"fields": {"measures": "责令停止夜间施工"}, "attachments": [png("site.png")]});
    let feedback = || json!({"fields": {"method": "电话", "satisfied": true}});
    env.act(OFFICER, id, "record", record()).await;
    env.act(OFFICER, id, "feedback", feedback()).await;
    let case = env
        .act(
            SQUAD,
            id,
            "reject_review",
            json!({"fields": {"reason": "缺少现场照片"}}),
        )
        .await;
    assert_eq!(case["counters"]["review_rejections"], 1);
    env.act(OFFICER, id, "record", record()).await;
    env.act(OFFICER, id, "feedback", feedback()).await;
    let case = env.act(SQUAD, id, "approve", json!({})).await;
    assert_eq!(case["state"], "closed");
    assert_eq!(
        trail(&case),
        [
            "receive",
            "assign",
            "request_extension",
            "approve_extension",
            "request_return",
            "squad_approve_return",
            "district_refuse_return",
            "record",
            "feedback",
            "reject_review",
            "record",
            "feedback",
            "approve"
        ]
    );

    // A second order is returned all the way to the hotline centre.
    let case = env.open(HOTLINE, receive_on_new_feature(8)).await;
    let id = case["id"].as_i64().unwrap();
    env.act(SQUAD, id, "assign", json!({"fields": {"officer": "o1"}}))
        .await;
    env.act(OFFICER, id, "request_return", why.clone()).await;
    env.act(SQUAD, id, "squad_approve_return", json!({})).await;
    env.act(BUREAU, id, "district_approve_return", json!({}))
        .await;
    assert_eq!(
        env.can(HOTLINE, id).await,
        ["center_accept_return", "center_refuse_return"]
    );
    let case = env
        .act(HOTLINE, id, "center_accept_return", json!({}))
        .await;
    assert_eq!(
        (&case["state"], &case["counters"]["return_count"]),
        (&json!("returned"), &json!(1))
    );
    assert_eq!(case["next_timer_at"], Value::Null);
}

async fn hotline_order_unassigned_escalates(b: Backend) {
    let env = Env::start(b, json!({})).await;
    let case = env.open(HOTLINE, receive_on_new_feature(9)).await;
    let id = case["id"].as_i64().unwrap();
    let due = case["deadline"]["at"].as_str().unwrap().to_string();
    env.clock.move_to(&due);
    let case = env.wait_for(id, |c| c["level"] == "district").await;
    assert_eq!(case["escalations"], 1);
    let entry = case["history"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (
            &entry["fields"]["escalated_from"],
            &entry["fields"]["escalated_to"]
        ),
        (&json!("township"), &json!("district"))
    );
    let p = env
        .refuse(
            SQUAD,
            id,
            "assign",
            json!({"fields": {"officer": "o1"}}),
            403,
        )
        .await;
    assert_eq!(p["responsible_level"], "district");
    assert!(env.can(SQUAD, id).await.is_empty());
    assert_eq!(env.can(BUREAU, id).await, ["assign"]);
    assert!(env.can(XUHUI_BUREAU, id).await.is_empty());
    let case = env
        .act(BUREAU, id, "assign", json!({"fields": {"officer": "o2"}}))
        .await;
    assert_eq!(trail(&case), ["receive", "deadline", "assign"]);
    assert_eq!(case["history"][2]["level"], "district");
}

async fn sampling_check_sent_back_and_confirmed(b: Backend) {
    let env = Env::start(b, json!({})).await;
    let fid = env.building(2).await;
    let case = env
        .open(
            CITY_OFFICE,
            json!({"workflow": "sampling_check", "feature": {"collection": "illegal_buildings", "id": fid},
                   "fields": {"case_ref": "DB-2026-0001"}}),
        )
        .await;
    let id = case["id"].as_i64().unwrap();
    assert_eq!(case["state"], "checking");
    assert_eq!(ids(&case["available_actions"]), ["confirm", "send_back"]);
    assert!(env.can(NANJING_RD_OFFICE, id).await.is_empty());
    let back = json!({"fields": {"check_date": "2026-03-05", "problem": "资料不完整", "reason": "缺少拆除前后照片"}});
    let case = env.act(HUANGPU_OFFICE, id, "send_back", back).await;
    assert_eq!(
        (&case["state"], &case["counters"]["send_back_count"]),
        (&json!("sent_back"), &json!(1))
    );
    assert_eq!(env.can(NANJING_RD_OFFICE, id).await, ["resubmit"]);
    assert!(env.can(BUND_OFFICE, id).await.is_empty());
    // The resubmission needs its photos.
    let p = env
        .refuse(
            NANJING_RD_OFFICE,
            id,
            "resubmit",
            json!({"fields": {"rectification": "已补充"}}),
            422,
        )
        .await;
    assert!(p["detail"].as_str().unwrap().contains("attachment"), "{p}");
    let resubmit = json!({"fields": {"rectification": "已补充照片"}, "attachments": [png("a.png"), png("b.png")]});
    env.act(NANJING_RD_OFFICE, id, "resubmit", resubmit).await;
    let confirm = json!({"fields": {"check_date": "2026-03-09"}, "attachments": [png("c.png")]});
    let case = env.act(CITY_OFFICE, id, "confirm", confirm).await;
    assert_eq!(case["state"], "closed");
    assert_eq!(trail(&case), ["sample", "send_back", "resubmit", "confirm"]);
    assert_eq!(
        case["history"][2]["attachments"].as_array().unwrap().len(),
        2
    );
}

async fn iot_alarm_handled_rejected_and_false_alarm(b: Backend) {
    let env = Env::start(b, json!({})).await;
    let fid = env.building(3).await;
    let raise = json!({"workflow": "iot_alarm", "feature": {"collection": "illegal_buildings", "id": fid},
                       "fields": {"sensor_id": "WL-0042", "alarm_type": "水位", "reading": 3.2}});
    let case = env.open(OPERATOR_T, raise.clone()).await;
    let id = case["id"].as_i64().unwrap();
    assert_eq!(
        ids(&case["available_actions"]),
        ["dispatch", "mark_false_alarm"]
    );
    let case = env
        .act(
            OPERATOR_T,
            id,
            "dispatch",
            json!({"fields": {"assignee": "o1"}}),
        )
        .await;
    assert_eq!(case["state"], "dispatched");
    assert_eq!(env.can(OFFICER, id).await, ["handle"]);
    let handle = || json!({"fields": {"measures": "抽排积水"}, "attachments": [png("h.png")]});
    env.act(OFFICER, id, "handle", handle()).await;
    let case = env
        .act(
            OPERATOR_T,
            id,
            "reject_handling",
            json!({"fields": {"reason": "仍有积水"}}),
        )
        .await;
    assert_eq!(case["state"], "dispatched");
    env.act(SQUAD, id, "handle", handle()).await;
    let case = env.act(OPERATOR_D, id, "confirm", json!({})).await;
    assert_eq!(case["state"], "closed");
    assert_eq!(
        trail(&case),
        [
            "raise",
            "dispatch",
            "handle",
            "reject_handling",
            "handle",
            "confirm"
        ]
    );

    let case = env.open(OPERATOR_T, raise).await;
    let id = case["id"].as_i64().unwrap();
    let case = env
        .act(
            OPERATOR_T,
            id,
            "mark_false_alarm",
            json!({"fields": {"reason": "传感器故障"}}),
        )
        .await;
    assert_eq!(
        (&case["state"], &case["terminal"]),
        (&json!("false_alarm"), &json!(true))
    );
}

async fn refusals_name_what_is_wrong(b: Backend) {
    let env = Env::start(b, json!({})).await;
    let fid = env.building(4).await;
    let on = json!({"collection": "illegal_buildings", "id": fid});
    // Another district's office cannot open a case here.
    let r = env
        .s
        .as_caller(Method::POST, "/cases", XUHUI_OFFICE)
        .json(&json!({"workflow": "supervision", "feature": on, "fields": issue()}))
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 403).await;
    assert_eq!(p["type"], "/problems/forbidden-jurisdiction");
    // A township office may not issue at all: the allowed roles are named.
    let r = env
        .s
        .as_caller(Method::POST, "/cases", NANJING_RD_OFFICE)
        .json(&json!({"workflow": "supervision", "feature": on, "fields": issue()}))
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 403).await;
    assert_eq!(
        p["allowed_roles"],
        json!(["city_demolition_office", "district_demolition_office"])
    );
    for (body, status) in [
        (json!({"workflow": "nope", "feature": on}), 404),
        (json!({"workflow": "supervision"}), 400),
        (
            json!({"workflow": "supervision", "feature": {"collection": "illegal_buildings", "id": 999}}),
            404,
        ),
        (
            json!({"workflow": "supervision", "feature": on, "fields": {"subject": "x"}}),
            422,
        ),
        (
            json!({"workflow": "supervision", "feature": on, "colour": "red"}),
            400,
        ),
    ] {
        let r = env
            .s
            .as_caller(Method::POST, "/cases", HUANGPU_OFFICE)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(r, status).await;
    }
    let case = env
        .open(
            HUANGPU_OFFICE,
            json!({"workflow": "supervision", "feature": on, "fields": issue()}),
        )
        .await;
    let id = case["id"].as_i64().unwrap();
    // The other township of the district cannot reply; nobody can take an unknown action.
    let p = env.refuse(BUND_OFFICE, id, "reply", reply(), 403).await;
    assert_eq!(p["type"], "/problems/forbidden-jurisdiction");
    env.refuse(NANJING_RD_OFFICE, id, "demolish", json!({}), 404)
        .await;
    let p = env
        .refuse(HUANGPU_OFFICE, id, "confirm", json!({}), 422)
        .await;
    assert_eq!(p["allowed_actions"], json!(["set_reminder"]));
    let p = env
        .refuse(
            NANJING_RD_OFFICE,
            id,
            "reply",
            json!({"fields": {"result": "已拆除", "opinion": "ok"}}),
            422,
        )
        .await;
    assert!(p["detail"].as_str().unwrap().contains("attachment"), "{p}");
    let r = env
        .s
        .as_caller(Method::GET, "/cases/999", CITY_OFFICE)
        .send()
        .await
        .unwrap();
    assert_problem(r, 404).await;
    let r = env
        .s
        .as_caller(
            Method::POST,
            &format!("/cases/{id}/actions/urge"),
            HUANGPU_OFFICE,
        )
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400).await;
    // Nothing refused left a trace.
    let case = env.s.get_json(&format!("/cases/{id}"), 200).await;
    assert_eq!(trail(&case), ["issue"]);
}

async fn two_officers_at_once_one_wins(b: Backend) {
    let env = Env::start(b, json!({})).await;
    let fid = env.building(5).await;
    let case = env
        .open(
            HUANGPU_OFFICE,
            json!({"workflow": "supervision", "feature": {"collection": "illegal_buildings", "id": fid}, "fields": issue()}),
        )
        .await;
    let id = case["id"].as_i64().unwrap();
    let case = env.act(NANJING_RD_OFFICE, id, "reply", reply()).await;
    let v = case["version"].as_i64().unwrap();
    let confirm = json!({"version": v, "fields": {"check_date": "2026-03-12", "check_notes": "已拆除"},
                         "attachments": [png("c.png")]});
    let reject = json!({"version": v, "fields": {"check_date": "2026-03-12", "reason": "未拆除"}});
    let path = format!("/cases/{id}/actions/");
    let (a, b) = tokio::join!(
        env.s
            .as_caller(Method::POST, &format!("{path}confirm"), HUANGPU_OFFICE)
            .json(&confirm)
            .send(),
        env.s
            .as_caller(Method::POST, &format!("{path}not_confirmed"), CITY_OFFICE)
            .json(&reject)
            .send(),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let statuses = [a.status().as_u16(), b.status().as_u16()];
    assert!(
        statuses == [200, 409] || statuses == [409, 200],
        "exactly one wins: {statuses:?}"
    );
    let (won, lost) = if statuses[0] == 200 { (a, b) } else { (b, a) };
    let won: Value = won.json().await.unwrap();
    let p = assert_problem(lost, 409).await;
    assert_eq!(p["current_version"], v + 1);
    assert_eq!(p["case"]["version"], v + 1);
    assert_eq!(p["case"]["state"], won["state"]);
    let case = env.s.get_json(&format!("/cases/{id}"), 200).await;
    assert_eq!(case["history"].as_array().unwrap().len() as i64, v + 1);
    // A stale version is refused even when the action would be allowed.
    let again = json!({"version": v, "fields": {"opinion": "x"}});
    if won["state"] == "handling" {
        let p = env
            .refuse(NANJING_RD_OFFICE, id, "set_reminder", again, 409)
            .await;
        assert_eq!(p["case"]["version"], v + 1);
    }
}

async fn timers_fire_once_across_a_restart(b: Backend) {
    let mut env = Env::start(b, json!({})).await;
    let fid = env.building(6).await;
    let on = json!({"collection": "illegal_buildings", "id": fid});
    let sup = env
        .open(
            HUANGPU_OFFICE,
            json!({"workflow": "supervision", "feature": on, "fields": issue()}),
        )
        .await;
    let sup_id = sup["id"].as_i64().unwrap();
    env.act(
        NANJING_RD_OFFICE,
        sup_id,
        "set_reminder",
        json!({"fields": {"remind_at": "2026-03-02T15:00:00+08:00"}, "comment": "下午复查"}),
    )
    .await;
    let alarm = env
        .open(
            OPERATOR_T,
            json!({"workflow": "iot_alarm", "feature": on, "fields": {"sensor_id": "YG-7", "alarm_type": "烟感"}}),
        )
        .await;
    let alarm_id = alarm["id"].as_i64().unwrap();
    assert_eq!(
        alarm["deadline"]["at"], "2026-03-02T02:00:00Z",
        "an hour after 09:00 CST"
    );

    // 10:30: the alarm's hour is up once; it escalates to the district desk.
    env.clock.move_to("2026-03-02T10:30:00+08:00");
    let a = env.wait_for(alarm_id, |c| c["level"] == "district").await;
    assert_eq!(a["escalations"], 1);
    assert_eq!(a["deadline"]["at"], "2026-03-02T03:00:00Z");
    env.settle().await;
    assert_eq!(count(&env.case(alarm_id).await, "deadline"), 1);
    assert_eq!(count(&env.case(sup_id).await, "reminder"), 0);
    let before_restart = env.events_after(0).await;

    // The server goes down; when it is back it is 24 March, 01:00: the reminder (2 March
    // 15:00), the supervision deadline (24 March 00:00) and two alarm deadlines fell due.
    let later = FakeClock::at("2026-03-24T01:00:00+08:00");
    env.restart(later.clone()).await;
    let s = env.wait_for(sup_id, |c| c["overdue"] == true).await;
    let a = env
        .wait_for(alarm_id, |c| c["next_timer_at"].is_null())
        .await;
    env.settle().await;
    let s2 = env.case(sup_id).await;
    let a2 = env.case(alarm_id).await;
    assert_eq!(s2["version"], s["version"], "nothing more fired");
    assert_eq!(a2["version"], a["version"]);
    assert_eq!(
        trail(&s2),
        ["issue", "set_reminder", "reminder", "deadline"]
    );
    let reminder = &s2["history"][2];
    assert_eq!(
        reminder["at"], "2026-03-02T07:00:00Z",
        "dated when it fell due"
    );
    assert_eq!(reminder["fields"]["note"], "下午复查");
    assert_eq!(reminder["fields"]["fired_at"], "2026-03-23T17:00:00Z");
    assert_eq!(
        s2["history"][3]["fields"]["effects"],
        json!(["remind", "mark_overdue"])
    );
    assert_eq!(trail(&a2), ["raise", "deadline", "deadline", "deadline"]);
    assert_eq!(
        (&a2["level"], &a2["escalations"]),
        (&json!("city"), &json!(2))
    );
    assert_eq!(
        a2["history"][3]["fields"]["escalation"],
        "already at the top level"
    );
    // Each fired timer is one event, before and after the restart.
    let events = env.events_after(0).await;
    let kinds = |case: i64| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["case_id"] == case)
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        kinds(sup_id),
        [
            "case.created",
            "case.action",
            "case.reminder",
            "case.deadline"
        ]
    );
    assert_eq!(
        kinds(alarm_id),
        [
            "case.created",
            "case.deadline",
            "case.deadline",
            "case.deadline"
        ]
    );
    assert_eq!(before_restart.len() + 4, events.len());
    assert_eq!(
        env.can(HUANGPU_OFFICE, sup_id).await,
        ["urge", "set_reminder"]
    );

    // A further restart at the same time fires nothing again.
    env.restart(later).await;
    env.settle().await;
    assert_eq!(env.case(sup_id).await["version"], s2["version"]);
    assert_eq!(env.events_after(0).await.len(), events.len());
}

/// Two instances on one PostGIS database both run the scheduler: each timer still fires once.
#[tokio::test]
async fn two_instances_fire_each_timer_once() {
    let Some(b) = Backend::fresh_postgis().await else {
        return;
    };
    let env = Env::start(b, json!({})).await;
    let other = env.second_instance().await;
    let fid = env.building(30).await;
    let raise = json!({"workflow": "iot_alarm", "feature": {"collection": "illegal_buildings", "id": fid},
                       "fields": {"sensor_id": "YG-1", "alarm_type": "烟感"}});
    let mut alarms = Vec::new();
    for _ in 0..6 {
        alarms.push(
            env.open(OPERATOR_T, raise.clone()).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    // Three deadlines fall due at once (10:00, 11:00, 12:00) on both instances' clock.
    env.clock.move_to("2026-03-02T13:00:00+08:00");
    for id in &alarms {
        env.wait_for(*id, |c| c["next_timer_at"].is_null()).await;
    }
    env.settle().await;
    for id in &alarms {
        let case = other.get_json(&format!("/cases/{id}"), 200).await;
        assert_eq!(
            trail(&case),
            ["raise", "deadline", "deadline", "deadline"],
            "case {id}"
        );
        assert_eq!(
            (&case["level"], &case["escalations"]),
            (&json!("city"), &json!(2))
        );
    }
    let deadlines = env
        .events_after(0)
        .await
        .iter()
        .filter(|e| e["kind"] == "case.deadline")
        .count();
    assert_eq!(deadlines, 3 * alarms.len());
}

async fn events_stream_and_webhooks_with_retries(b: Backend) {
    let ok = Hook::start(0).await;
    let flaky = Hook::start(2).await;
    let dead = "http://127.0.0.1:9/unreachable";
    let env = Env::start(
        b,
        json!({"webhooks": [ok.url, flaky.url, dead], "webhook_attempts": 3, "webhook_backoff_ms": 20}),
    )
    .await;
    let mut city = env.sse(CITY_OFFICE).await;
    let mut xuhui = env.sse(XUHUI_OFFICE).await;
    let fid = env.building(10).await;
    let case = env
        .open(
            HUANGPU_OFFICE,
            json!({"workflow": "supervision", "feature": {"collection": "illegal_buildings", "id": fid}, "fields": issue()}),
        )
        .await;
    let id = case["id"].as_i64().unwrap();
    env.act(
        NANJING_RD_OFFICE,
        id,
        "set_reminder",
        json!({"fields": {"remind_at": "2026-03-02T11:00:00+08:00"}}),
    )
    .await;
    env.clock.move_to("2026-03-02T11:00:00+08:00");
    let got: Vec<(String, Value)> = vec![city.next().await, city.next().await, city.next().await];
    let kinds: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["case.created", "case.action", "case.reminder"]);
    assert!(got.iter().all(|(_, e)| e["case_id"] == id));
    assert_eq!(got[1].1["action"], "set_reminder");
    assert_eq!(got[2].1["user"], "system");
    // A Xuhui officer does not see Huangpu's case; its first event is its own district's.
    let fx = env.building_in(11, XUHUI, "310104003").await;
    let xcase = env
        .open(
            XUHUI_OFFICE,
            json!({"workflow": "supervision", "feature": {"collection": "illegal_buildings", "id": fx}, "fields": issue()}),
        )
        .await;
    let (kind, e) = xuhui.next().await;
    assert_eq!(
        (kind.as_str(), &e["case_id"]),
        ("case.created", &xcase["id"])
    );

    // Every event reaches each webhook: the flaky one after its two failures, retried.
    let mut ids: Vec<i64> = got.iter().map(|(_, e)| e["id"].as_i64().unwrap()).collect();
    ids.push(e["id"].as_i64().unwrap());
    ok.wait_for(ids.len()).await;
    flaky.wait_for(ids.len()).await;
    let mut failures = 0;
    for id in &ids {
        assert!(
            ok.bodies().iter().any(|b| b["id"] == *id),
            "event {id} delivered"
        );
        let log = poll(&env, &format!("/events/{id}/deliveries"), |l| {
            let l = l.as_array().unwrap();
            // Each receiver logs its attempt after the answer: wait for all three logs.
            l.iter().filter(|d| d["url"] == dead).count() == 3
                && l.iter().any(|d| d["url"] == ok.url)
                && l.iter()
                    .any(|d| d["url"] == flaky.url && d["delivered"] == true)
        })
        .await;
        let of = |url: &str| -> Vec<Value> {
            let all = log.as_array().unwrap().iter();
            all.filter(|d| d["url"] == url).cloned().collect()
        };
        let attempts = |l: &[Value]| -> Vec<i64> {
            l.iter().map(|d| d["attempt"].as_i64().unwrap()).collect()
        };
        let ok_log = of(&ok.url);
        assert_eq!(attempts(&ok_log), [1]);
        assert_eq!(
            (&ok_log[0]["status_code"], &ok_log[0]["delivered"]),
            (&json!(200), &json!(true))
        );
        let flaky_log = of(&flaky.url);
        let (last, before) = flaky_log.split_last().unwrap();
        assert_eq!(
            (&last["status_code"], &last["delivered"]),
            (&json!(200), &json!(true))
        );
        assert!(
            before
                .iter()
                .all(|d| d["status_code"] == 500 && d["delivered"] == false)
        );
        assert_eq!(
            attempts(&flaky_log),
            (1..=flaky_log.len() as i64).collect::<Vec<_>>()
        );
        failures += before.len();
        let dead_log = of(dead);
        assert_eq!(
            attempts(&dead_log),
            [1, 2, 3],
            "given up after three attempts"
        );
        assert!(
            dead_log
                .iter()
                .all(|d| d["delivered"] == false && d["error"].is_string())
        );
    }
    assert_eq!(failures, 2, "both failures are in the log");
    // Resuming after an event id (Last-Event-ID, ?after=) replays exactly what followed it.
    let rest = env.events_after(ids[0]).await;
    let rest: Vec<i64> = rest.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(rest, ids[1..]);
}

async fn attachments_are_converted_and_limited(b: Backend) {
    let env = Env::start(b, json!({})).await;
    let fid = env.building(12).await;
    let case = env
        .open(
            HUANGPU_OFFICE,
            json!({"workflow": "supervision", "feature": {"collection": "illegal_buildings", "id": fid}, "fields": issue()}),
        )
        .await;
    let id = case["id"].as_i64().unwrap();
    let case = env.act(NANJING_RD_OFFICE, id, "reply", reply()).await;
    let a = &case["attachments"][0];
    assert_eq!(
        (&a["filename"], &a["content_type"], &a["version"]),
        (&json!("photo.png"), &json!("image/jpeg"), &json!(2))
    );
    assert_eq!(a["size"], PNG_1X1_LEN);
    for (href, ct) in [
        (a["href"].as_str().unwrap(), "image/jpeg"),
        (a["thumbnail"].as_str().unwrap(), "image/jpeg"),
    ] {
        let r = env.s.client.get(env.s.url(href)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{href}");
        assert_eq!(r.headers()["content-type"], ct);
        let bytes = r.bytes().await.unwrap();
        assert_eq!(&bytes[..2], &[0xff, 0xd8], "{href} is a JPEG");
    }
    let aid = a["id"].as_i64().unwrap();
    let r = env
        .s
        .client
        .get(env.s.url(&format!("/cases/{}/attachments/{aid}", id + 1)))
        .send()
        .await
        .unwrap();
    assert_problem(r, 404).await;

    let with = |files: Vec<Value>| json!({"fields": {"check_date": "2026-03-12", "check_notes": "ok"}, "attachments": files});
    let gif = json!({"filename": "x.gif", "content_base64": "R0lGODlhAQABAAAAACw="});
    env.refuse(HUANGPU_OFFICE, id, "confirm", with(vec![gif]), 415)
        .await;
    let not_b64 = json!({"filename": "x.png", "content_base64": "***"});
    env.refuse(HUANGPU_OFFICE, id, "confirm", with(vec![not_b64]), 400)
        .await;
    env.refuse(
        HUANGPU_OFFICE,
        id,
        "confirm",
        with(vec![png("p.png"); 5]),
        413,
    )
    .await;
    let huge = json!({"filename": "big.jpg", "content_base64": "/9j/".repeat(7_000_000)});
    env.refuse(HUANGPU_OFFICE, id, "confirm", with(vec![huge]), 413)
        .await;
    let case = env.case(id).await;
    assert_eq!(
        trail(&case),
        ["issue", "reply"],
        "refused uploads store nothing"
    );
}

async fn lists_stats_and_the_cases_tile(b: Backend) {
    let env = Env::start(b, json!({})).await;
    let huangpu = env.building(20).await;
    let xuhui = env.building_in(21, XUHUI, "310104003").await;
    let on = |fid: i64| json!({"collection": "illegal_buildings", "id": fid});
    let a = env
        .open(
            HUANGPU_OFFICE,
            json!({"workflow": "supervision", "feature": on(huangpu), "fields": issue()}),
        )
        .await;
    let b2 = env
        .open(CITY_OFFICE, json!({"workflow": "sampling_check", "feature": on(huangpu), "fields": {"case_ref": "X-1"}}))
        .await;
    let c = env
        .open(
            XUHUI_OFFICE,
            json!({"workflow": "supervision", "feature": on(xuhui), "fields": issue()}),
        )
        .await;
    // The supervision deadlines pass; the sampling check's (10 working days) too, but it
    // only reminds.
    let due = a["deadline"]["at"].as_str().unwrap().to_string();
    env.clock.move_to(&due);
    env.wait_for(a["id"].as_i64().unwrap(), |c| c["overdue"] == true)
        .await;
    env.wait_for(c["id"].as_i64().unwrap(), |c| c["overdue"] == true)
        .await;

    let list = |q: &str| {
        let q = q.to_string();
        let s = &env.s;
        async move {
            let v = s.get_json(&format!("/cases{q}"), 200).await;
            let mut ids: Vec<i64> = v["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap())
                .collect();
            ids.sort();
            ids
        }
    };
    let (ia, ib, ic) = (
        a["id"].as_i64().unwrap(),
        b2["id"].as_i64().unwrap(),
        c["id"].as_i64().unwrap(),
    );
    assert_eq!(list("").await, [ia, ib, ic]);
    assert_eq!(list("?workflow=supervision").await, [ia, ic]);
    assert_eq!(list("?overdue=true").await, [ia, ic]);
    assert_eq!(list("?overdue=false").await, [ib]);
    assert_eq!(list(&format!("?district={HUANGPU}")).await, [ia, ib]);
    assert_eq!(
        list(&format!("?township={NANJING_RD}&state=checking")).await,
        [ib]
    );
    assert_eq!(list("?bbox=121.47,31.22,121.49,31.24").await, [ia, ib]);
    assert!(list("?workflow=iot_alarm").await.is_empty());
    let v = env
        .s
        .get_json(
            &format!("/collections/illegal_buildings/items/{huangpu}/cases"),
            200,
        )
        .await;
    assert_eq!(v["cases"].as_array().unwrap().len(), 2);
    for bad in ["?overdue=maybe", "?bbox=1,2,3", "?limit=0", "?colour=red"] {
        let r = env
            .s
            .client
            .get(env.s.url(&format!("/cases{bad}")))
            .send()
            .await
            .unwrap();
        assert_problem(r, 400).await;
    }

    // A district caller sees only their district's cases; asking for another is 403.
    let as_xuhui = |path: &str| env.s.as_caller(Method::GET, path, XUHUI_OFFICE).send();
    let v: Value = as_xuhui("/cases").await.unwrap().json().await.unwrap();
    let seen: Vec<i64> = v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(seen, [ic], "{v}");
    let v: Value = as_xuhui("/cases/stats?by=district")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["groups"],
        json!([{"key": XUHUI, "total": 1, "overdue": 1}])
    );
    for path in [format!("/cases?district={HUANGPU}"), format!("/cases/{ia}")] {
        assert_problem(as_xuhui(&path).await.unwrap(), 403).await;
    }

    let stats = env.s.get_json("/cases/stats?by=district", 200).await;
    assert_eq!(
        stats["groups"],
        json!([{"key": HUANGPU, "total": 2, "overdue": 1}, {"key": XUHUI, "total": 1, "overdue": 1}])
    );
    assert_eq!((&stats["total"], &stats["overdue"]), (&json!(3), &json!(2)));
    let stats = env
        .s
        .get_json("/cases/stats?by=workflow&district=310101", 200)
        .await;
    assert_eq!(
        stats["groups"],
        json!([{"key": "sampling_check", "total": 1, "overdue": 0}, {"key": "supervision", "total": 1, "overdue": 1}])
    );
    let stats = env.s.get_json("/cases/stats?by=state", 200).await;
    assert_eq!(stats["groups"].as_array().unwrap().len(), 2);
    let r = env
        .s
        .client
        .get(env.s.url("/cases/stats?by=colour"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 400).await;

    // The tile holding the Huangpu building shows both of its cases.
    let (x, y) = tile_of(121.48, 31.23, 14);
    let r = env
        .s
        .client
        .get(env.s.url(&format!("/cases/tiles/14/{x}/{y}.mvt")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let layers = decode(r.bytes().await.unwrap().to_vec());
    assert_eq!(layers.len(), 1);
    let (name, features) = &layers[0];
    assert_eq!(name, "cases");
    let mut seen: Vec<(u64, String, bool, i64)> = features
        .iter()
        .map(|f| {
            let p = f.properties.as_ref().unwrap();
            let text = |k: &str| match &p[k] {
                mvt_reader::feature::Value::String(s) => s.clone(),
                v => panic!("{k}: {v:?}"),
            };
            let flag = matches!(p["overdue"], mvt_reader::feature::Value::Bool(true));
            let urges = match p["urge_count"] {
                mvt_reader::feature::Value::Int(n) | mvt_reader::feature::Value::SInt(n) => n,
                mvt_reader::feature::Value::UInt(n) => n as i64,
                ref v => panic!("urge_count {v:?}"),
            };
            assert_eq!(text("level"), "township");
            (
                f.id.unwrap(),
                format!("{}/{}", text("workflow"), text("state")),
                flag,
                urges,
            )
        })
        .collect();
    seen.sort_by_key(|s| s.0);
    assert_eq!(
        seen,
        [
            (ia as u64, "supervision/handling".to_string(), true, 0),
            (ib as u64, "sampling_check/checking".to_string(), false, 0)
        ]
    );
    let r = env
        .s
        .client
        .get(
            env.s
                .url(&format!("/cases/tiles/14/{x}/{y}.mvt?workflow=iot_alarm")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // The default style draws the layer, overdue cases in red.
    let style = env.s.get_json("/styles/onemap.json", 200).await;
    assert!(
        style["sources"]["cases"]["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with("/cases/tiles/{z}/{x}/{y}.mvt")
    );
    let layer = style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"] == "cases")
        .unwrap();
    assert_eq!(layer["paint"]["circle-color"][2], "#d7191c");
}

#[tokio::test]
async fn workflows_are_served_with_their_diagrams() {
    let env = Env::start(Backend::Gpkg, json!({})).await;
    let all = env.s.get_json("/workflows", 200).await;
    let ids: Vec<&str> = all["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
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
        all["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "squad")
    );
    let sup = env.s.get_json("/workflows/supervision", 200).await;
    assert_eq!(sup["initial"], "handling");
    assert_eq!(sup["states"][0]["deadline"]["unit"], "working_days");
    let diagram = sup["diagram"]["text"].as_str().unwrap();
    assert!(diagram.starts_with("stateDiagram-v2"), "{diagram}");
    assert!(
        diagram.contains("replied --> closed: 现场核查属实"),
        "{diagram}"
    );
    let r = env
        .s
        .client
        .get(env.s.url("/workflows/nope"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 404).await;
}

/// A definition in `DATA/workflows/` adds to or replaces the shipped ones; a bad one stops the
/// server with a message naming the file and the problem.
#[tokio::test]
async fn bad_workflow_definitions_are_refused_at_start() {
    let tiny = "id: tiny\ntitle: 小流程\ninitial: open\nstates:\n  - {id: open, title: 待办}\n  - {id: done, title: 办结, terminal: true}\nactions:\n  - {id: start, title: 新建, from: [], to: open, roles: [officer], levels: [township]}\n  - {id: finish, title: 办结, from: [open], to: done, roles: [squad], levels: [township]}\n";
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join("workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(wf.join("tiny.yaml"), tiny).unwrap();
    let s = TestServer::with_config(config(dir.path().to_path_buf(), false), dir).await;
    let ids: Vec<String> = s.get_json("/workflows", 200).await["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&"tiny".to_string()), "{ids:?}");
    drop(s);
    for (bad, needle) in [
        (
            tiny.replace("roles: [squad]", "roles: [squadron]"),
            "unknown role `squadron`",
        ),
        (
            tiny.replace("to: done", "to: finished"),
            "unknown state `finished`",
        ),
        (
            tiny.replace(
                "  - {id: done,",
                "  - {id: limbo, title: 悬空, terminal: true}\n  - {id: done,",
            ),
            "state `limbo` is unreachable",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let wf = dir.path().join("workflows");
        std::fs::create_dir_all(&wf).unwrap();
        std::fs::write(wf.join("tiny.yaml"), bad).unwrap();
        let err = onemap_api::start(&config(dir.path().to_path_buf(), false))
            .await
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains(&wf.display().to_string()) && err.contains("tiny.yaml"),
            "{err}"
        );
        assert!(err.contains(needle), "{err}");
    }
}
