//! The customer service department: a complaint from the public form, from e-SORI and typed
//! by staff gets its reference and acknowledgement at once, a deadline in working days, and is
//! assigned, noted, answered (by e-mail), withdrawn or escalated; the deadline warning is a task
//! given once; the annual report counts it all; only the department reaches the register and a
//! client reaches only their own complaints.

use crate::common;
use crate::portal_support;

use crate::portfolio;
use common::{TestApp, TestDatabase, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::audit::Actor;
use soriano::auth::staff::Role;
use soriano::complaints::{self, Channel, Draft, Kind, Outcome, Source, Status};
use soriano::db::schema::{
    complaint_events, complaints as complaints_table, outbound_emails, tasks,
};

const PASSWORD: &str = "una clave larga de prueba";

fn token_of(html: &str) -> String {
    let re = regex::Regex::new(r#"name="token" value="([^"]+)""#).unwrap();
    re.captures(html).expect("form token")[1].to_owned()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_owned()
}

fn emails(conn: &mut PgConnection, kind: &str, to: &str) -> Vec<(String, String)> {
    outbound_emails::table
        .filter(outbound_emails::kind.eq(kind))
        .filter(outbound_emails::to_address.eq(to))
        .select((outbound_emails::subject, outbound_emails::body_text))
        .load(conn)
        .unwrap()
}

fn draft(name: &str) -> Draft {
    Draft {
        kind: Kind::Claim,
        channel: Channel::Email,
        customer_id: None,
        policy_id: None,
        policy_number_given: None,
        name: name.to_owned(),
        email: Some("reclamante@example.com".to_owned()),
        phone: None,
        tax_id: None,
        subject: "Cobro duplicado".to_owned(),
        description: "Me han cobrado dos veces el mismo recibo.".to_owned(),
        wants_human: false,
        received_on: None,
    }
}

#[actix_web::test]
async fn a_visitor_files_a_complaint_and_gets_its_reference_once() {
    let app = TestApp::spawn().await;
    let page = app.get("/reclamaciones").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("15 días hábiles"), "{html}");
    let (csrf, token) = (common::csrf_from_html(&html), token_of(&html));

    // Errors next to each field, and what was typed kept.
    let wrong = app
        .post_form(
            "/reclamaciones",
            &[
                ("csrf_token", &csrf),
                ("token", &token),
                ("nombre", "Lucía Martín"),
                ("correo", "no-es-un-correo"),
                ("asunto", ""),
                ("descripcion", "corto"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = wrong.text().await.unwrap();
    assert!(html.contains("Elija si es una queja o una reclamación."));
    assert!(html.contains("Escriba en pocas palabras de qué se trata."));
    assert!(html.contains("al menos 10 caracteres"));
    assert!(html.contains("value=\"Lucía Martín\""));

    let fields = [
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("tipo", "claim"),
        ("nombre", "Lucía Martín"),
        ("correo", "lucia@example.com"),
        ("poliza", "AX-99"),
        ("asunto", "Retraso en el pago"),
        (
            "descripcion",
            "Declaré el siniestro hace tres meses y no me han pagado.",
        ),
        ("persona", "si"),
    ];
    let sent = app.post_form("/reclamaciones", &fields).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let to = location(&sent);
    let year = soriano::time::today().format("%Y").to_string();
    assert_eq!(
        to,
        format!("/reclamaciones/recibida?referencia=SAC-{year}-00001")
    );
    let thanks = app.get(&to).await.text().await.unwrap();
    assert!(thanks.contains(&format!("SAC-{year}-00001")));

    // The same form sent again leads to the same complaint.
    let again = app.post_form("/reclamaciones", &fields).await;
    assert_eq!(location(&again), to);

    let mut conn = app.db.conn();
    /// Reference, channel, policy number typed, wants a person, customer.
    type Filed = (String, String, Option<String>, bool, Option<i64>);
    let rows: Vec<Filed> = complaints_table::table
        .select((
            complaints_table::reference,
            complaints_table::channel,
            complaints_table::policy_number_given,
            complaints_table::wants_human,
            complaints_table::customer_id,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "web");
    assert_eq!(rows[0].2.as_deref(), Some("AX-99"), "kept as typed");
    assert!(rows[0].3);
    assert_eq!(rows[0].4, None, "a typed number links nothing");
    let sent = emails(&mut conn, "client.complaint_received", "lucia@example.com");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].0.contains(&format!("SAC-{year}-00001")));
    let due = complaints::due_on(soriano::time::today(), 15);
    assert!(
        sent[0].1.contains(&soriano::format::date(due)),
        "the acknowledgement gives the deadline: {}",
        sent[0].1
    );

    // Only references as we write them are repeated on the page.
    assert_eq!(
        app.get("/reclamaciones/recibida?referencia=%3Cb%3Ehola")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn spawn_staff() -> (TestApp, i64, i64) {
    let mut ids = (0, 0);
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        let compliance = create_staff(conn, "cumplimiento@soriano.es", Role::Compliance, PASSWORD);
        create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "siniestros@soriano.es", Role::Claims, PASSWORD);
        let customer = portfolio::customer(conn, 1, "Ana", None);
        portfolio::live_policy(conn, customer, "POL-RECL-1");
        ids = (compliance, customer);
    })
    .await;
    (app, ids.0, ids.1)
}

#[actix_web::test]
async fn the_department_handles_a_letter_from_receipt_to_answer_and_report() {
    let (app, compliance, customer) = spawn_staff().await;
    app.sign_in("cumplimiento@soriano.es", PASSWORD).await;
    let html = app
        .get("/admin/reclamaciones/nueva")
        .await
        .text()
        .await
        .unwrap();
    let (csrf, token) = (common::csrf_from_html(&html), token_of(&html));
    let received = soriano::calendar::add_working_days(soriano::time::today(), -2);
    let received_text = received.format("%Y-%m-%d").to_string();
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("tipo", "claim"),
        ("canal", "letter"),
        ("recibida", received_text.as_str()),
        ("nombre", "Ana Prueba"),
        ("correo", "ana@example.com"),
        ("poliza", "NO-EXISTE"),
        ("asunto", "Siniestro sin pagar"),
        (
            "descripcion",
            "Carta: el siniestro de agua sigue sin pagarse.",
        ),
    ];
    let unknown = app.post_form("/admin/reclamaciones", &fields).await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("No hay ninguna póliza con ese número.")
    );
    fields[7].1 = "POL-RECL-1";
    let created = app.post_form("/admin/reclamaciones", &fields).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let page = location(&created);
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();

    let mut conn = app.db.conn();
    let (linked, due, status): (Option<i64>, chrono::NaiveDate, String) = complaints_table::table
        .find(id)
        .select((
            complaints_table::customer_id,
            complaints_table::due_on,
            complaints_table::status,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(linked, Some(customer));
    assert_eq!(
        due,
        complaints::due_on(received, 15),
        "counted from receipt"
    );
    assert_eq!(status, "open");

    // The customer's record lists it for the department.
    let record = app
        .get(&format!("/admin/clientes/{customer}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        record.contains(&format!("/admin/reclamaciones/{id}")),
        "{record}"
    );
    assert!(record.contains("Siniestro sin pagar"));

    let html = app.get(&page).await.text().await.unwrap();
    let clock = complaints::Clock::of(soriano::time::today(), due, 3).label();
    assert!(html.contains(&clock), "{clock}: {html}");
    assert!(html.contains("POL-RECL-1"));
    let csrf = common::csrf_from_html(&html);

    // Assigned, noted, a too-short answer refused with what was typed kept, then answered.
    let me = compliance.to_string();
    let assigned = app
        .post_form(
            &format!("{page}/asignar"),
            &[("csrf_token", &csrf), ("responsable", &me)],
        )
        .await;
    assert_eq!(assigned.status(), StatusCode::SEE_OTHER);
    app.post_form(
        &format!("{page}/notas"),
        &[("csrf_token", &csrf), ("nota", "Llamé a la aseguradora.")],
    )
    .await;
    let short = app
        .post_form(
            &format!("{page}/respuesta"),
            &[
                ("csrf_token", &csrf),
                ("respuesta", "No."),
                ("resultado", ""),
            ],
        )
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = short.text().await.unwrap();
    assert!(html.contains("Escriba una respuesta motivada"));
    assert!(html.contains("Elija el resultado."));
    let answer = "La aseguradora ha revisado el expediente y paga la indemnización esta semana.";
    let answered = app
        .post_form(
            &format!("{page}/respuesta"),
            &[
                ("csrf_token", &csrf),
                ("respuesta", answer),
                ("resultado", "in_favour"),
            ],
        )
        .await;
    assert_eq!(answered.status(), StatusCode::SEE_OTHER);
    let status: String = complaints_table::table
        .find(id)
        .select(complaints_table::status)
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "answered");
    let mail = emails(&mut conn, "complaint.answered", "ana@example.com");
    assert_eq!(mail.len(), 1);
    assert!(mail[0].1.contains(answer));
    assert!(mail[0].1.contains("Dirección General de Seguros"));

    // Answering twice is refused; an escalation is still recorded.
    let twice = app
        .post_form(
            &format!("{page}/respuesta"),
            &[
                ("csrf_token", &csrf),
                ("respuesta", answer),
                ("resultado", "against"),
            ],
        )
        .await;
    assert_eq!(twice.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let today = soriano::time::today().format("%Y-%m-%d").to_string();
    let escalated = app
        .post_form(
            &format!("{page}/instancia"),
            &[
                ("csrf_token", &csrf),
                ("instancia", "dgsfp"),
                ("referencia", "DGSFP-2026-123"),
                ("fecha", &today),
            ],
        )
        .await;
    assert_eq!(escalated.status(), StatusCode::SEE_OTHER);
    let html = app.get(&page).await.text().await.unwrap();
    assert!(html.contains("Servicio de Reclamaciones de la DGSFP, referencia DGSFP-2026-123"));
    assert!(html.contains("Llamé a la aseguradora."));
    assert!(html.contains("A favor del cliente"));
    let kinds: Vec<String> = complaint_events::table
        .filter(complaint_events::complaint_id.eq(id))
        .order(complaint_events::id)
        .select(complaint_events::kind)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        kinds,
        ["received", "assigned", "note", "answered", "escalated"]
    );

    // The annual report counts it by line and carrier, with the time it took.
    let year = soriano::time::today().format("%Y").to_string();
    let report = app
        .get(&format!("/admin/reclamaciones/informe?anio={year}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(report.contains("id=\"total\">1<"), "{report}");
    let took = complaints::working_days_between(received, soriano::time::today());
    assert!(
        report.contains(&format!("id=\"tiempo-maximo\">{took} días hábiles")),
        "{report}"
    );
    assert!(report.contains("Llevadas a la DGSFP"));
    let csv = app
        .get(&format!(
            "/admin/reclamaciones/informe/exportar?anio={year}&formato=csv"
        ))
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("Reclamación"), "{csv}");
    assert!(csv.contains("Carta"), "{csv}");
}

#[actix_web::test]
async fn only_the_department_reaches_the_register() {
    let (app, _, _) = spawn_staff().await;
    let id = {
        let mut conn = app.db.conn();
        complaints::file(
            &mut conn,
            &draft("Uno"),
            Source::Web,
            soriano::time::today(),
        )
        .unwrap()
        .id
    };
    for who in ["agente@soriano.es", "siniestros@soriano.es"] {
        let (other, _) = app.sign_in_elsewhere(who, PASSWORD).await;
        for path in [
            "/admin/reclamaciones".to_owned(),
            format!("/admin/reclamaciones/{id}"),
            "/admin/reclamaciones/informe".to_owned(),
        ] {
            let status = other.get(app.url(&path)).send().await.unwrap().status();
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "{who} {path}: {status}"
            );
        }
    }
    app.sign_in("cumplimiento@soriano.es", PASSWORD).await;
    let html = app.get("/admin/reclamaciones").await.text().await.unwrap();
    assert!(html.contains("Cobro duplicado"));
    // Without the CSRF token nothing changes.
    let refused = app
        .post_form(
            &format!("/admin/reclamaciones/{id}/notas"),
            &[("nota", "sin token")],
        )
        .await;
    assert_ne!(refused.status(), StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn deadline_settings_are_checked_and_apply_to_new_complaints() {
    let (app, _, _) = spawn_staff().await;
    app.sign_in("cumplimiento@soriano.es", PASSWORD).await;
    let csrf = app.csrf_token("/admin/reclamaciones/plazos").await;
    let wrong = app
        .post_form(
            "/admin/reclamaciones/plazos",
            &[("csrf_token", &csrf), ("plazo", "5"), ("aviso", "5")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("antes de que acabe el plazo")
    );
    let saved = app
        .post_form(
            "/admin/reclamaciones/plazos",
            &[("csrf_token", &csrf), ("plazo", "20"), ("aviso", "4")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let mut conn = app.db.conn();
    let today = soriano::time::today();
    let filed = complaints::file(&mut conn, &draft("Dos"), Source::Web, today).unwrap();
    assert_eq!(filed.due_on, complaints::due_on(today, 20));
}

#[test]
fn a_complaint_near_its_deadline_gives_one_task_to_whoever_handles_it() {
    soriano::emails::install();
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let compliance = create_staff(&mut conn, "c@soriano.es", Role::Compliance, PASSWORD);
    let admin = create_staff(&mut conn, "a@soriano.es", Role::Admin, PASSWORD);
    create_staff(&mut conn, "agent@soriano.es", Role::Agent, PASSWORD);
    let today = soriano::time::today();
    // Received 13 working days ago: 2 left, within the 3-day warning.
    let mut near = draft("Cerca");
    near.received_on = Some(soriano::calendar::add_working_days(today, -13));
    let near = complaints::file(&mut conn, &near, Source::Web, today).unwrap();
    let mut far = draft("Lejos");
    far.received_on = Some(today);
    complaints::file(&mut conn, &far, Source::Web, today).unwrap();

    // Nobody has it: every complaints handler (compliance and admin, never the agent) is told.
    assert_eq!(complaints::warn_due(&mut conn, today).unwrap(), 1);
    let mut assignees: Vec<i64> = tasks::table
        .select(tasks::assignee_staff_id)
        .load(&mut conn)
        .unwrap();
    assignees.sort();
    let mut expected = vec![compliance, admin];
    expected.sort();
    assert_eq!(assignees, expected);
    let title: String = tasks::table.select(tasks::title).first(&mut conn).unwrap();
    assert!(title.contains(&near.reference), "{title}");
    // Once only.
    assert_eq!(complaints::warn_due(&mut conn, today).unwrap(), 0);
    // An answered complaint is never warned about.
    let mut late = draft("Tarde");
    late.received_on = Some(soriano::calendar::add_working_days(today, -14));
    let late = complaints::file(&mut conn, &late, Source::Web, today).unwrap();
    let by = Actor::system();
    complaints::withdraw(&mut conn, late.id, "Retirada por teléfono.", &by).unwrap();
    assert_eq!(complaints::warn_due(&mut conn, today).unwrap(), 0);
}

#[actix_web::test]
async fn a_client_files_from_e_sori_and_reaches_only_their_own() {
    let (app, world) = portal_support::spawn(true).await;
    let (a, b) = (&world.a, &world.b);
    let others = {
        let mut conn = app.db.conn();
        let mut theirs = draft("Cliente B");
        theirs.policy_id = Some(b.policy_id);
        complaints::file(
            &mut conn,
            &theirs,
            Source::Portal {
                customer_id: b.customer_id,
            },
            soriano::time::today(),
        )
        .unwrap()
    };
    portal_support::portal_sign_in(&app, &a.email, portal_support::PASSWORD).await;
    let html = app
        .get("/portal/reclamaciones/nueva")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&a.policy_number));
    assert!(!html.contains(&b.policy_number));
    let (csrf, token) = (common::csrf_from_html(&html), token_of(&html));
    let b_policy = b.policy_id.to_string();
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("tipo", "complaint"),
        ("poliza", b_policy.as_str()),
        ("asunto", "Nadie me llama"),
        (
            "descripcion",
            "Pedí un cambio de cuenta y nadie me ha llamado.",
        ),
    ];
    let refused = app.post_form("/portal/reclamaciones", &fields).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Elija una de sus pólizas.")
    );
    let a_policy = a.policy_id.to_string();
    fields[3].1 = a_policy.as_str();
    let filed = app.post_form("/portal/reclamaciones", &fields).await;
    assert_eq!(filed.status(), StatusCode::SEE_OTHER);
    let page = location(&filed);
    let html = app.get(&page).await.text().await.unwrap();
    assert!(html.contains("En trámite"));
    assert!(html.contains("Nadie me llama"));

    let mut conn = app.db.conn();
    let (id, reference, customer, channel): (i64, String, Option<i64>, String) =
        complaints_table::table
            .filter(complaints_table::subject.eq("Nadie me llama"))
            .select((
                complaints_table::id,
                complaints_table::reference,
                complaints_table::customer_id,
                complaints_table::channel,
            ))
            .first(&mut conn)
            .unwrap();
    assert_eq!(
        (customer, channel.as_str()),
        (Some(a.customer_id), "portal")
    );
    assert_eq!(
        emails(&mut conn, "client.complaint_received", &a.email).len(),
        1
    );

    // A person, on request.
    let csrf = common::csrf_from_html(&html);
    let asked = app
        .post_form(&format!("{page}/persona"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let wants: bool = complaints_table::table
        .find(id)
        .select(complaints_table::wants_human)
        .first(&mut conn)
        .unwrap();
    assert!(wants);

    // Another client's complaint: not found, on the page and the button.
    let theirs = format!("/portal/reclamaciones/{}", others.id);
    assert_eq!(app.get(&theirs).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.post_form(&format!("{theirs}/persona"), &[("csrf_token", &csrf)])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let list = app.get("/portal/reclamaciones").await.text().await.unwrap();
    assert!(list.contains(&reference));
    assert!(!list.contains(&others.reference));

    // The answer, once given, is on the client's page; internal notes never are.
    let staff = soriano::auth::staff::find_by_email(&mut conn, portal_support::AGENT)
        .unwrap()
        .unwrap();
    let by = Actor::new(&staff, "", "");
    complaints::add_note(&mut conn, id, "Nota interna secreta", &by).unwrap();
    complaints::answer(
        &mut conn,
        id,
        "Le llamamos ayer y hemos cambiado la cuenta. Disculpe la espera.",
        Outcome::InFavour,
        &by,
    )
    .unwrap();
    let html = app.get(&page).await.text().await.unwrap();
    assert!(html.contains("Le llamamos ayer y hemos cambiado la cuenta."));
    assert!(html.contains("A favor del cliente"));
    assert!(!html.contains("Nota interna secreta"));
    let status: Status = complaints::find(&mut conn, id)
        .unwrap()
        .unwrap()
        .complaint
        .status;
    assert_eq!(status, Status::Answered);
}
