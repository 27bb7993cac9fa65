//! The automation engine against a real database: default rules through their triggers,
//! exactly once under two workers and re-runs, failures parked alone, dry run equal to what
//! fires, timed rules inside their window (time injected), the chain limit, and consent.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use diesel::prelude::*;
use soriano::automation::engine::{self, Context};
use soriano::automation::rules::{self, Action, Assignee, Recipient, RuleDraft, Trigger};
use soriano::automation::{Anchor, OffsetUnit};
use soriano::db::schema::{
    automation_rules, automation_runs, customer_consents, customers, domain_events, leads,
    outbound_emails, policy_renewal_terms, tasks,
};

use crate::common::{TestDatabase, create_staff};
use crate::portfolio;

fn ctx() -> Context {
    Context {
        base_url: url::Url::parse("https://www.soriano.test").unwrap(),
        unsubscribe_key: b"test-unsubscribe-key".to_vec(),
        broker: soriano::distribution::precontract::BrokerIdentity::development(),
    }
}

fn setup(conn: &mut PgConnection) -> (i64, i64) {
    soriano::seed::catalog(conn).unwrap();
    let agent = create_staff(
        conn,
        "agente@soriano.test",
        soriano::auth::staff::Role::Agent,
        "Contraseña-larga-2026",
    );
    create_staff(
        conn,
        "super@soriano.test",
        soriano::auth::staff::Role::Supervisor,
        "Contraseña-larga-2026",
    );
    let customer = portfolio::customer(conn, 1, "Marta", Some(agent));
    diesel::update(customers::table.find(customer))
        .set(customers::email.eq("marta@example.es"))
        .execute(conn)
        .unwrap();
    (agent, customer)
}

fn disable_defaults_but(conn: &mut PgConnection, keep: &[&str]) {
    diesel::update(automation_rules::table)
        .filter(automation_rules::system_key.ne_all(keep.iter().map(|k| k.to_string())))
        .set(automation_rules::enabled.eq(false))
        .execute(conn)
        .unwrap();
}

fn emails(conn: &mut PgConnection, kind: &str) -> Vec<(String, String, String)> {
    outbound_emails::table
        .filter(outbound_emails::kind.eq(kind))
        .order(outbound_emails::id)
        .select((
            outbound_emails::to_address,
            outbound_emails::subject,
            outbound_emails::body_text,
        ))
        .load(conn)
        .unwrap()
}

fn publish(conn: &mut PgConnection, kind: &str, entity: &str, id: i64, payload: serde_json::Value) {
    conn.transaction(|conn| soriano::events::publish(conn, kind, entity, id, payload))
        .unwrap();
}

fn run(conn: &mut PgConnection, now: DateTime<Utc>) -> engine::Report {
    engine::run(conn, &ctx(), now).unwrap()
}

#[test]
fn a_claim_state_change_emails_the_client_once_however_often_the_engine_runs() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let (_, customer) = setup(&mut conn);
    disable_defaults_but(&mut conn, &["claim_status_notice"]);
    let policy = portfolio::live_policy(&mut conn, customer, "POL-1");
    let claim: i64 = diesel::insert_into(soriano::db::schema::claims::table)
        .values((
            soriano::db::schema::claims::number.eq("SIN-2026-000001"),
            soriano::db::schema::claims::policy_id.eq(policy),
            soriano::db::schema::claims::customer_id.eq(customer),
            soriano::db::schema::claims::incident_date.eq(portfolio::today()),
            soriano::db::schema::claims::kind.eq("other"),
            soriano::db::schema::claims::description.eq("Golpe en el aparcamiento"),
            soriano::db::schema::claims::status.eq("assessed"),
        ))
        .returning(soriano::db::schema::claims::id)
        .get_result(&mut conn)
        .unwrap();
    publish(
        &mut conn,
        "claim.status_changed",
        "claim",
        claim,
        serde_json::json!({ "estado": "peritado", "estado_anterior": "en trámite" }),
    );
    let now = Utc::now();
    let report = run(&mut conn, now);
    assert_eq!(report.runs, 1, "{report:?}");
    // A second round, and a round after the event is (wrongly) put back in line, do nothing.
    run(&mut conn, now);
    diesel::update(domain_events::table)
        .set(domain_events::processed_at.eq(None::<DateTime<Utc>>))
        .execute(&mut conn)
        .unwrap();
    let again = run(&mut conn, now);
    assert_eq!(again.runs, 0, "{again:?}");
    let sent = emails(&mut conn, "automation.siniestro_cambio_estado");
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (to, subject, text) = &sent[0];
    assert_eq!(to, "marta@example.es");
    assert!(
        subject.contains("SIN-2026-000001") || text.contains("SIN-2026-000001"),
        "{subject} {text}"
    );
    assert!(text.contains("peritado"), "{text}");
    assert!(
        text.contains(&format!(
            "https://www.soriano.test/portal/siniestros/{claim}"
        )),
        "{text}"
    );
    // The run log shows it on the customer's timeline.
    let log = soriano::automation::log::of_customer(&mut conn, customer, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert!(
        log[0].outcome.contains("marta@example.es"),
        "{}",
        log[0].outcome
    );
}

#[test]
fn two_workers_at_once_act_exactly_once_per_rule_and_event() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let (agent, customer) = setup(&mut conn);
    disable_defaults_but(&mut conn, &[]);
    let draft = RuleDraft {
        name: "Tarea por cliente tocado".into(),
        description: String::new(),
        trigger: Trigger::Event {
            kind: "customer.field_changed".into(),
        },
        conditions: vec![],
        actions: vec![Action::CreateTask {
            title: "Revisar a {{nombre_completo_cliente}}".into(),
            assignee: Assignee::Staff(agent),
            due_in_days: 1,
            priority: "normal".into(),
        }],
    };
    rules::create(&mut conn, &draft, &soriano::audit::Actor::system()).unwrap();
    for _ in 0..300 {
        publish(
            &mut conn,
            "customer.field_changed",
            "customer",
            customer,
            serde_json::json!({}),
        );
    }
    let now = Utc::now();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                let mut runs = 0;
                loop {
                    let report = engine::process_events(&mut conn, &ctx(), now, 25).unwrap();
                    runs += report.runs;
                    if report.events == 0 {
                        break runs;
                    }
                }
            })
        })
        .collect();
    let total: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(total, 300);
    let created: i64 = tasks::table
        .filter(tasks::assignee_staff_id.eq(agent))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(created, 300);
    let pending: i64 = domain_events::table
        .filter(domain_events::processed_at.is_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(pending, 0);
}

#[test]
fn a_round_cut_off_half_way_leaves_nothing_done_and_the_next_does_it_once() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let (agent, customer) = setup(&mut conn);
    disable_defaults_but(&mut conn, &[]);
    let draft = RuleDraft {
        name: "Nota".into(),
        description: String::new(),
        trigger: Trigger::Event {
            kind: "customer.field_changed".into(),
        },
        conditions: vec![],
        actions: vec![Action::CreateTask {
            title: "Tarea".into(),
            assignee: Assignee::Staff(agent),
            due_in_days: 0,
            priority: "normal".into(),
        }],
    };
    rules::create(&mut conn, &draft, &soriano::audit::Actor::system()).unwrap();
    publish(
        &mut conn,
        "customer.field_changed",
        "customer",
        customer,
        serde_json::json!({}),
    );
    // A worker that dies mid-round: its transaction never commits (here: rolled back).
    let _ = conn.transaction::<(), diesel::result::Error, _>(|conn| {
        engine::process_events(conn, &ctx(), Utc::now(), 10).unwrap();
        Err(diesel::result::Error::RollbackTransaction)
    });
    let count = |conn: &mut PgConnection| -> i64 { tasks::table.count().get_result(conn).unwrap() };
    assert_eq!(count(&mut conn), 0);
    run(&mut conn, Utc::now());
    run(&mut conn, Utc::now());
    assert_eq!(count(&mut conn), 1);
}

#[test]
fn a_failing_action_parks_only_itself_and_an_admin_can_retry_it() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let (agent, customer) = setup(&mut conn);
    disable_defaults_but(&mut conn, &[]);
    let gone = create_staff(
        &mut conn,
        "baja@soriano.test",
        soriano::auth::staff::Role::Agent,
        "Contraseña-larga-2026",
    );
    let rule = |name: &str, staff: i64| RuleDraft {
        name: name.into(),
        description: String::new(),
        trigger: Trigger::Event {
            kind: "customer.field_changed".into(),
        },
        conditions: vec![],
        actions: vec![Action::CreateTask {
            title: name.into(),
            assignee: Assignee::Staff(staff),
            due_in_days: 0,
            priority: "normal".into(),
        }],
    };
    let system = soriano::audit::Actor::system();
    rules::create(&mut conn, &rule("Buena", agent), &system).unwrap();
    let bad = rules::create(&mut conn, &rule("Mala", gone), &system).unwrap();
    diesel::update(soriano::db::schema::staff_users::table.find(gone))
        .set(soriano::db::schema::staff_users::active.eq(false))
        .execute(&mut conn)
        .unwrap();
    publish(
        &mut conn,
        "customer.field_changed",
        "customer",
        customer,
        serde_json::json!({}),
    );
    // Another record's event goes on regardless.
    let other = portfolio::customer(&mut conn, 2, "Pablo", Some(agent));
    let mut now = Utc::now();
    for _ in 0..engine::MAX_ATTEMPTS {
        run(&mut conn, now);
        now += Duration::hours(2);
    }
    let good_tasks: i64 = tasks::table
        .filter(tasks::title.eq("Buena"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        good_tasks, 1,
        "the good rule acted once, not once per retry"
    );
    let parked = soriano::automation::log::parked_events(&mut conn, 10).unwrap();
    assert_eq!(parked.len(), 1);
    assert!(
        parked[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("Mala"),
        "{:?}",
        parked[0].last_error
    );
    let status: String = automation_runs::table
        .filter(automation_runs::rule_id.eq(bad))
        .select(automation_runs::status)
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "parked");
    publish(
        &mut conn,
        "customer.field_changed",
        "customer",
        other,
        serde_json::json!({}),
    );
    run(&mut conn, now);
    let good_tasks: i64 = tasks::table
        .filter(tasks::title.eq("Buena"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(good_tasks, 2, "a parked event does not hold back others");
    // The admin fixes the cause and retries.
    diesel::update(soriano::db::schema::staff_users::table.find(gone))
        .set(soriano::db::schema::staff_users::active.eq(true))
        .execute(&mut conn)
        .unwrap();
    assert!(engine::retry_parked(&mut conn, parked[0].id).unwrap());
    run(&mut conn, now);
    let bad_tasks: i64 = tasks::table
        .filter(tasks::title.eq("Mala"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(bad_tasks, 1);
    assert!(
        soriano::automation::log::parked_events(&mut conn, 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_dry_run_lists_exactly_what_then_fires_for_renewals() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let (agent, customer) = setup(&mut conn);
    disable_defaults_but(
        &mut conn,
        &["renewal_task", "renewal_notice", "renewal_premium_rise"],
    );
    let today = portfolio::today();
    let soon = portfolio::policy(
        &mut conn,
        customer,
        "REN-60",
        today - Duration::days(300),
        today + Duration::days(60),
    );
    let later = portfolio::policy(
        &mut conn,
        customer,
        "REN-90",
        today - Duration::days(270),
        today + Duration::days(90),
    );
    let rising = portfolio::policy(
        &mut conn,
        customer,
        "REN-30",
        today - Duration::days(330),
        today + Duration::days(30),
    );
    for id in [soon, later, rising] {
        diesel::update(soriano::db::schema::policies::table.find(id))
            .set((
                soriano::db::schema::policies::status.eq("active"),
                soriano::db::schema::policies::agent_staff_id.eq(agent),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    // The carrier announced +12 % for REN-30.
    diesel::insert_into(policy_renewal_terms::table)
        .values((
            policy_renewal_terms::policy_id.eq(rising),
            policy_renewal_terms::period_end.eq(today + Duration::days(30)),
            policy_renewal_terms::new_premium_cents.eq(50_400_i64),
        ))
        .execute(&mut conn)
        .unwrap();
    let now = Utc::now();
    let task_rule = rules::list(&mut conn)
        .unwrap()
        .into_iter()
        .find(|r| r.system_key.as_deref() == Some("renewal_task"))
        .unwrap();
    let dry = engine::due_now(&mut conn, &ctx(), &task_rule, now).unwrap();
    let dry_ids: Vec<i64> = dry.iter().map(|d| d.occurrence.entity_id).collect();
    assert_eq!(dry_ids, vec![soon]);
    run(&mut conn, now);
    let renewal_tasks: Vec<(Option<i64>, String, String)> = tasks::table
        .filter(tasks::entity_type.eq("policy"))
        .order(tasks::id)
        .select((tasks::entity_id, tasks::title, tasks::priority))
        .load(&mut conn)
        .unwrap();
    let prepared: Vec<i64> = renewal_tasks
        .iter()
        .filter(|t| t.1.starts_with("Preparar"))
        .filter_map(|t| t.0)
        .collect();
    assert_eq!(prepared, dry_ids, "what fired is what the dry run showed");
    let calls: Vec<&(Option<i64>, String, String)> =
        renewal_tasks.iter().filter(|t| t.2 == "high").collect();
    assert_eq!(calls.len(), 1, "{renewal_tasks:?}");
    assert_eq!(calls[0].0, Some(rising));
    assert!(calls[0].1.contains("+12 %"), "{}", calls[0].1);
    let notices = emails(&mut conn, "automation.aviso_renovacion");
    assert_eq!(notices.len(), 1, "only REN-30 is 30 days away");
    assert!(notices[0].2.contains("504,00"), "{}", notices[0].2);
    // Nothing is due any more.
    assert!(
        engine::due_now(&mut conn, &ctx(), &task_rule, now)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn an_uncontacted_web_lead_fires_one_working_day_later_not_before() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    setup(&mut conn);
    disable_defaults_but(&mut conn, &["lead_not_contacted"]);
    // Friday 4 December 2026, 11:00 Madrid: due Monday 7 at 11:00.
    let arrived = soriano::time::at(
        chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
        NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
    );
    let lead: i64 = diesel::insert_into(leads::table)
        .values((
            leads::full_name.eq("Rosa Web"),
            leads::email.eq("rosa@example.es"),
            leads::source.eq("landing"),
            leads::created_at.eq(arrived),
        ))
        .returning(leads::id)
        .get_result(&mut conn)
        .unwrap();
    let due = soriano::time::at(
        chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
    );
    let count = |conn: &mut PgConnection| -> i64 {
        tasks::table
            .filter(tasks::entity_type.eq("lead"))
            .filter(tasks::entity_id.eq(lead))
            .count()
            .get_result(conn)
            .unwrap()
    };
    run(&mut conn, due - Duration::minutes(1));
    assert_eq!(
        count(&mut conn),
        0,
        "not before its moment (the weekend does not count)"
    );
    run(&mut conn, due + Duration::minutes(1));
    assert_eq!(count(&mut conn), 1, "within minutes of its moment");
    run(&mut conn, due + Duration::minutes(3));
    assert_eq!(count(&mut conn), 1);
}

#[test]
fn rule_chains_stop_at_three_levels() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let (_, customer) = setup(&mut conn);
    disable_defaults_but(&mut conn, &[]);
    let draft = RuleDraft {
        name: "Se llama a sí misma".into(),
        description: String::new(),
        trigger: Trigger::Event {
            kind: "customer.field_changed".into(),
        },
        conditions: vec![],
        actions: vec![Action::SetField {
            field: "segmento".into(),
            value: "corporate".into(),
        }],
    };
    let id = rules::create(&mut conn, &draft, &soriano::audit::Actor::system()).unwrap();
    publish(
        &mut conn,
        "customer.field_changed",
        "customer",
        customer,
        serde_json::json!({}),
    );
    for _ in 0..6 {
        run(&mut conn, Utc::now());
    }
    let runs: i64 = automation_runs::table
        .filter(automation_runs::rule_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(runs, 3);
    let depths: Vec<i16> = domain_events::table
        .order(domain_events::id)
        .select(domain_events::depth)
        .load(&mut conn)
        .unwrap();
    assert_eq!(depths, vec![0, 1, 2, 3]);
}

#[test]
fn commercial_email_only_with_consent_and_with_an_unsubscribe_header() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let (_, customer) = setup(&mut conn);
    disable_defaults_but(&mut conn, &[]);
    let draft = RuleDraft {
        name: "Oferta hogar".into(),
        description: String::new(),
        trigger: Trigger::Event {
            kind: "customer.field_changed".into(),
        },
        conditions: vec![],
        actions: vec![Action::SendEmail {
            template: "oferta_hogar".into(),
            to: Recipient::Client,
        }],
    };
    rules::create(&mut conn, &draft, &soriano::audit::Actor::system()).unwrap();
    publish(
        &mut conn,
        "customer.field_changed",
        "customer",
        customer,
        serde_json::json!({}),
    );
    run(&mut conn, Utc::now());
    assert!(emails(&mut conn, "automation.oferta_hogar").is_empty());
    let log = soriano::automation::log::of_customer(&mut conn, customer, 5).unwrap();
    assert!(
        log[0].outcome.contains("sin consentimiento"),
        "{}",
        log[0].outcome
    );

    diesel::insert_into(customer_consents::table)
        .values((
            customer_consents::customer_id.eq(customer),
            customer_consents::purpose.eq("marketing"),
            customer_consents::granted.eq(true),
            customer_consents::text_version.eq("v1"),
            customer_consents::source.eq("back-office"),
        ))
        .execute(&mut conn)
        .unwrap();
    publish(
        &mut conn,
        "customer.field_changed",
        "customer",
        customer,
        serde_json::json!({}),
    );
    run(&mut conn, Utc::now());
    let sent: Vec<(String, Option<String>)> = outbound_emails::table
        .filter(outbound_emails::kind.eq("automation.oferta_hogar"))
        .select((
            outbound_emails::body_text,
            outbound_emails::list_unsubscribe,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(sent.len(), 1);
    let link = sent[0].1.clone().expect("a List-Unsubscribe address");
    assert!(link.starts_with("https://www.soriano.test/baja/"), "{link}");
    assert!(sent[0].0.contains(&link), "the body carries the same link");
}

#[test]
fn rules_with_an_unknown_template_or_a_field_not_allowed_are_refused() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    setup(&mut conn);
    let draft = RuleDraft {
        name: "Mal".into(),
        description: String::new(),
        trigger: Trigger::Date {
            anchor: Anchor::PolicyEnd,
            offset: -10,
            unit: OffsetUnit::Days,
        },
        conditions: vec![],
        actions: vec![
            Action::SendEmail {
                template: "no_existe".into(),
                to: Recipient::Client,
            },
            Action::SetField {
                field: "segmento".into(),
                value: "corporate".into(),
            },
            Action::SendEmail {
                template: "siniestro_recibido".into(),
                to: Recipient::Client,
            },
        ],
    };
    match rules::create(&mut conn, &draft, &soriano::audit::Actor::system()) {
        Err(rules::RuleError::Invalid(errors)) => {
            assert!(errors.get("accion_0").unwrap().contains("no existe"));
            assert!(
                errors
                    .get("accion_1")
                    .unwrap()
                    .contains("no se puede cambiar")
            );
            assert!(errors.get("accion_2").unwrap().contains("siniestro"));
        }
        other => panic!("{other:?}"),
    }
}

#[actix_web::test]
async fn an_agent_records_a_rising_renewal_premium_and_the_rules_call_and_tell_the_client() {
    use crate::common::TestApp;
    use soriano::db::schema::policies;
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let (agent, customer) = setup(&mut conn);
    disable_defaults_but(&mut conn, &["renewal_notice", "renewal_premium_rise"]);
    let today = portfolio::today();
    let policy = portfolio::policy(
        &mut conn,
        customer,
        "REN-HTTP",
        today - Duration::days(335),
        today + Duration::days(30),
    );
    diesel::update(policies::table.find(policy))
        .set((
            policies::status.eq("active"),
            policies::agent_staff_id.eq(agent),
        ))
        .execute(&mut conn)
        .unwrap();
    app.sign_in("agente@soriano.test", "Contraseña-larga-2026")
        .await;
    let page = format!("/admin/polizas/{policy}");
    let body = app.get(&page).await.text().await.unwrap();
    assert!(body.contains("Prima de renovación"), "the form is offered");
    let token = app.csrf_token(&page).await;
    let path = format!("/admin/polizas/{policy}/prima-renovacion");
    // Bad input: the message next to the field, the value kept.
    let response = app
        .post_form(
            &path,
            &[("csrf_token", &token), ("prima_renovacion", "mucho")],
        )
        .await;
    assert_eq!(response.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains(r#"value="mucho""#), "typed value kept");
    // Without the CSRF token: refused.
    let response = app
        .post_form(&path, &[("prima_renovacion", "504,00")])
        .await;
    assert_eq!(response.status(), reqwest::StatusCode::FORBIDDEN);
    let response = app
        .post_form(
            &path,
            &[("csrf_token", &token), ("prima_renovacion", "504,00")],
        )
        .await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    let recorded: i64 = policy_renewal_terms::table
        .filter(policy_renewal_terms::policy_id.eq(policy))
        .select(policy_renewal_terms::new_premium_cents)
        .first(&mut conn)
        .unwrap();
    assert_eq!(recorded, 50_400);

    crate::common::run_automation(&mut conn);
    let (title, priority, assignee): (String, String, i64) = tasks::table
        .filter(tasks::entity_id.eq(policy))
        .select((tasks::title, tasks::priority, tasks::assignee_staff_id))
        .first(&mut conn)
        .unwrap();
    assert_eq!(priority, "high");
    assert_eq!(assignee, agent);
    assert!(title.contains("+12 %"), "{title}");
    let notice = emails(&mut conn, "automation.aviso_renovacion");
    assert_eq!(notice.len(), 1);
    assert!(
        notice[0].2.contains("450,00") && notice[0].2.contains("504,00"),
        "{}",
        notice[0].2
    );
    // The notice carries its PDF, written from the policy now and published in e-SORI.
    let attached: Option<i64> = outbound_emails::table
        .filter(outbound_emails::kind.eq("automation.aviso_renovacion"))
        .select(outbound_emails::attachment_document_id)
        .first(&mut conn)
        .unwrap();
    let document = attached.expect("the renewal notice is attached");
    let (kind, visible): (Option<String>, bool) = soriano::db::schema::documents::table
        .find(document)
        .select((
            soriano::db::schema::documents::kind,
            soriano::db::schema::documents::visible_to_client,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!((kind.as_deref(), visible), (Some("aviso_renovacion"), true));
    use soriano::documents::Storage;
    let text = crate::common::pdf_text(
        &soriano::documents::PgStorage
            .get(&mut conn, document)
            .unwrap(),
    );
    assert!(
        text.contains("450,00 €") && text.contains("504,00 €") && text.contains("+12,0 %"),
        "{text}"
    );
    // The customer's page shows what the rules did.
    let timeline = app
        .get(&format!("/admin/clientes/{customer}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        timeline.contains("Automatización"),
        "run log on the timeline"
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_sent_quote_reaches_the_prospect_with_a_private_link_that_opens() {
    use crate::common::TestApp;
    use soriano::auth::permissions::PortfolioScope;
    use soriano::db::schema::{lines_of_business, quotes};
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let (agent, customer) = setup(&mut conn);
    disable_defaults_but(&mut conn, &["quote_sent"]);
    let line: i64 = lines_of_business::table
        .select(lines_of_business::id)
        .first(&mut conn)
        .unwrap();
    let today = portfolio::today();
    let draft = |conn: &mut PgConnection, customer: Option<i64>| -> (i64, String) {
        diesel::insert_into(quotes::table)
            .values((
                quotes::customer_id.eq(customer),
                quotes::prospect_name.eq(customer.is_none().then_some("Jorge Prospecto")),
                quotes::prospect_email.eq(customer.is_none().then_some("jorge@example.es")),
                quotes::line_id.eq(line),
                quotes::valid_until.eq(today + Duration::days(30)),
                quotes::agent_staff_id.eq(agent),
            ))
            .returning((quotes::id, quotes::number))
            .get_result(conn)
            .unwrap()
    };
    let (prospect_quote, prospect_number) = draft(&mut conn, None);
    let (client_quote, _) = draft(&mut conn, Some(customer));
    for id in [prospect_quote, client_quote] {
        conn.transaction(|conn| {
            soriano::quotes::send(
                conn,
                PortfolioScope::All,
                id,
                today,
                &soriano::audit::Actor::system(),
            )
        })
        .unwrap();
    }
    crate::common::run_automation(&mut conn);
    let sent = emails(&mut conn, "automation.presupuesto_enviado");
    assert_eq!(sent.len(), 2, "{sent:?}");
    let to_prospect = sent.iter().find(|e| e.0 == "jorge@example.es").unwrap();
    assert!(
        to_prospect.2.contains(&prospect_number),
        "{}",
        to_prospect.2
    );
    let link = to_prospect
        .2
        .split_whitespace()
        .find(|w| w.contains("/taxi/presupuesto/"))
        .expect("a private link");
    let path = &link[link.find("/taxi/").unwrap()..];
    let page = app.get(path).await;
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    assert!(page.text().await.unwrap().contains(&prospect_number));
    let to_client = sent.iter().find(|e| e.0 == "marta@example.es").unwrap();
    assert!(
        to_client
            .2
            .contains(&format!("/portal/presupuestos/{client_quote}")),
        "{}",
        to_client.2
    );
    app.stop().await;
}

#[test]
fn a_client_message_unanswered_for_a_working_day_reminds_whoever_looks_after_the_client() {
    use soriano::db::schema::message_threads;
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let (agent, customer) = setup(&mut conn);
    disable_defaults_but(&mut conn, &["message_waiting"]);
    // Friday 4 December 2026, 18:00: due Monday 7 at 18:00.
    let written = soriano::time::at(
        chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
        NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
    );
    let thread: i64 = diesel::insert_into(message_threads::table)
        .values((
            message_threads::customer_id.eq(customer),
            message_threads::subject.eq("Cambio de cuenta"),
            message_threads::created_at.eq(written),
            message_threads::last_message_at.eq(written),
            message_threads::unread_by_staff.eq(1),
        ))
        .returning(message_threads::id)
        .get_result(&mut conn)
        .unwrap();
    let due = written + Duration::days(3);
    run(&mut conn, due - Duration::minutes(2));
    let reminders = |conn: &mut PgConnection| -> Vec<(String, i64)> {
        tasks::table
            .filter(tasks::entity_type.eq("message"))
            .filter(tasks::entity_id.eq(thread))
            .select((tasks::title, tasks::assignee_staff_id))
            .load(conn)
            .unwrap()
    };
    assert!(reminders(&mut conn).is_empty());
    run(&mut conn, due + Duration::minutes(2));
    let found = reminders(&mut conn);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, agent);
    assert!(found[0].0.contains("Cambio de cuenta"), "{}", found[0].0);
}

#[test]
fn a_scheduled_rule_fires_once_a_day_at_its_time() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    setup(&mut conn);
    disable_defaults_but(&mut conn, &[]);
    let draft = RuleDraft {
        name: "Revisar la cola de leads".into(),
        description: String::new(),
        trigger: Trigger::Schedule {
            time: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            weekday: None,
        },
        conditions: vec![],
        actions: vec![Action::CreateTask {
            title: "Revisar los leads sin asignar".into(),
            assignee: Assignee::Role("supervisor".into()),
            due_in_days: 0,
            priority: "normal".into(),
        }],
    };
    let id = rules::create(&mut conn, &draft, &soriano::audit::Actor::system()).unwrap();
    let rule = rules::find(&mut conn, id).unwrap().unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 9).unwrap();
    let eight = soriano::time::at(day, NaiveTime::from_hms_opt(8, 0, 0).unwrap());
    let count = |conn: &mut PgConnection| -> i64 {
        tasks::table
            .filter(tasks::title.eq("Revisar los leads sin asignar"))
            .count()
            .get_result(conn)
            .unwrap()
    };
    // Earlier runs of the same day: the previous day's 08:00 is within the catch-up window
    // and fires once too, so start from a clean slate at 07:59 and count from there.
    run(&mut conn, eight - Duration::minutes(1));
    let before = count(&mut conn);
    assert_eq!(
        engine::due_now(&mut conn, &ctx(), &rule, eight - Duration::minutes(1))
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        engine::due_now(&mut conn, &ctx(), &rule, eight + Duration::minutes(1))
            .unwrap()
            .len(),
        1,
        "the dry run at 08:01 shows today's run"
    );
    run(&mut conn, eight + Duration::minutes(1));
    run(&mut conn, eight + Duration::minutes(4));
    assert_eq!(count(&mut conn), before + 1);
    run(&mut conn, eight + Duration::days(1) + Duration::minutes(1));
    assert_eq!(count(&mut conn), before + 2);
}
