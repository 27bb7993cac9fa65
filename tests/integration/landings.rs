//! Landing pages and the form → lead intake: validation, consents, spam defences, rate
//! limit, idempotent double submit, 30-day dedupe, UTM capture, A/B variants.

use crate::common;

use chrono::{Duration, Utc};
use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{
    domain_events, landing_daily_stats, landing_variants, landings, lead_consents,
    lead_submissions, leads, lines_of_business, outbound_emails,
};
use soriano::landings::blocks::{Blocks, Hero};
use soriano::landings::editor::{self, LandingForm};
use soriano::landings::spam;

/// The lead columns the first test reads.
type LeadRow = (
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Utm,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);
type Utm = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

const PASSWORD: &str = "una clave larga de prueba";

const FIELDS: &str = r#"[
 {"name":"nombre","label":"Nombre","kind":"text","required":true},
 {"name":"email","label":"Correo","kind":"email","required":true},
 {"name":"telefono","label":"Teléfono","kind":"phone","required":false},
 {"name":"cp","label":"Código postal","kind":"postcode","required":false},
 {"name":"cobertura","label":"Cobertura","kind":"select","required":false,"options":["Básica","Completa"]},
 {"name":"fecha","label":"Fecha de efecto","kind":"date","required":false},
 {"name":"propietario","label":"Soy propietario","kind":"checkbox","required":true}
]"#;

/// A landing `slug` with `variants` (name, weight); published or not.
fn landing(conn: &mut PgConnection, slug: &str, published: bool, variants: &[(&str, i32)]) -> i64 {
    let hogar: i64 = lines_of_business::table
        .filter(lines_of_business::code.eq("hogar"))
        .select(lines_of_business::id)
        .first(conn)
        .unwrap();
    let form = LandingForm {
        titulo: format!("Seguro {slug}"),
        slug: slug.to_owned(),
        linea: hogar.to_string(),
        campana: "otoño".to_owned(),
        campos: FIELDS.to_owned(),
        ..LandingForm::blank()
    };
    let draft = form.validate(|_| true).unwrap();
    let blocks = |title: &str| Blocks {
        hero: Hero {
            title: title.to_owned(),
            ..Hero::default()
        },
        ..Blocks::default()
    };
    let id = editor::create(conn, &draft, &blocks("Título A"), Utc::now()).unwrap();
    for (name, weight) in variants.iter().skip(1) {
        editor::add_variant(conn, id, name, *weight, &blocks(&format!("Título {name}"))).unwrap();
    }
    if let Some((_, weight)) = variants.first() {
        diesel::update(
            landing_variants::table
                .filter(landing_variants::landing_id.eq(id))
                .filter(landing_variants::name.eq("A")),
        )
        .set(landing_variants::weight.eq(*weight))
        .execute(conn)
        .unwrap();
    }
    if published {
        editor::set_published(conn, id, true, Utc::now()).unwrap();
    }
    id
}

async fn spawn() -> (TestApp, i64, i64) {
    let mut ids = (0, 0);
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        ids.0 = create_staff(conn, "agente1@soriano.es", Role::Agent, PASSWORD);
        ids.1 = create_staff(conn, "agente2@soriano.es", Role::Agent, PASSWORD);
        landing(conn, "hogar", true, &[("A", 1)]);
    })
    .await;
    (app, ids.0, ids.1)
}

/// The hidden fields of the landing form as served, with a start time old enough to pass.
struct Served {
    csrf: String,
    token: String,
    started: String,
    variant: String,
    html: String,
}

fn hidden(html: &str, name: &str) -> String {
    let re = regex::Regex::new(&format!(r#"name="{name}" value="([^"]*)""#)).unwrap();
    re.captures(html)
        .map(|c| c[1].to_owned())
        .unwrap_or_default()
}

async fn open(app: &TestApp, path: &str) -> Served {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    let html = response.text().await.unwrap();
    let key = spam::stamp_key(&app.state.config.secret_key);
    Served {
        csrf: hidden(&html, "csrf_token"),
        token: hidden(&html, "form_token"),
        started: spam::stamp(&key, Utc::now() - Duration::seconds(30)),
        variant: hidden(&html, "variante"),
        html,
    }
}

fn good(email: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("nombre", "Ana Pérez"),
        ("email", email),
        ("telefono", "+34 600 11 22 33"),
        ("cp", "28001"),
        ("cobertura", "Completa"),
        ("fecha", "2026-12-01"),
        ("propietario", "si"),
        ("privacidad", "si"),
        ("comunicaciones", "si"),
    ]
}

async fn send(app: &TestApp, served: &Served, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut all: Vec<(&str, &str)> = vec![
        ("csrf_token", &served.csrf),
        ("form_token", &served.token),
        ("inicio", &served.started),
        ("variante", &served.variant),
        ("sitio_web", ""),
    ];
    for name in [
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "referrer",
    ] {
        let value = hidden(&served.html, name);
        if !value.is_empty() {
            all.push((name, Box::leak(value.into_boxed_str())));
        }
    }
    all.extend_from_slice(fields);
    app.post_form("/l/hogar", &all).await
}

fn count_leads(app: &TestApp) -> i64 {
    leads::table.count().get_result(&mut app.db.conn()).unwrap()
}

#[actix_web::test]
async fn a_valid_form_becomes_an_assigned_lead_with_utm_consents_event_and_emails() {
    let (app, agent1, agent2) = spawn().await;
    let served = open(&app, "/l/hogar?utm_source=google&utm_medium=cpc&utm_campaign=hogar-otono&utm_term=seguro+hogar&utm_content=anuncio1").await;
    let response = send(&app, &served, &good("Ana@Example.es")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/l/hogar/gracias");
    let thanks = app.get("/l/hogar/gracias").await.text().await.unwrap();
    assert!(thanks.contains("Hemos recibido su solicitud"));

    let mut conn = app.db.conn();
    let (id, email, phone, postcode, source, campaign, utm, landing, variant, agent): LeadRow =
        leads::table
            .select((
                leads::id,
                leads::email,
                leads::phone,
                leads::postcode,
                leads::source,
                leads::campaign,
                (
                    leads::utm_source,
                    leads::utm_medium,
                    leads::utm_campaign,
                    leads::utm_term,
                    leads::utm_content,
                ),
                leads::landing_id,
                leads::landing_variant_id,
                leads::assigned_staff_id,
            ))
            .first(&mut conn)
            .unwrap();
    assert_eq!(email.as_deref(), Some("ana@example.es"));
    assert_eq!(phone.as_deref(), Some("600112233"));
    assert_eq!(postcode.as_deref(), Some("28001"));
    assert_eq!(source, "landing");
    assert_eq!(campaign.as_deref(), Some("otoño"));
    assert_eq!(utm.0.as_deref(), Some("google"));
    assert_eq!(utm.1.as_deref(), Some("cpc"));
    assert_eq!(utm.2.as_deref(), Some("hogar-otono"));
    assert_eq!(utm.3.as_deref(), Some("seguro hogar"));
    assert_eq!(utm.4.as_deref(), Some("anuncio1"));
    assert!(landing.is_some());
    assert_eq!(variant.map(|v| v.to_string()), Some(served.variant.clone()));
    assert!(agent == Some(agent1) || agent == Some(agent2));

    let (sub_utm, sub_landing, payload): (Option<String>, Option<i64>, serde_json::Value) =
        lead_submissions::table
            .filter(lead_submissions::lead_id.eq(id))
            .select((
                lead_submissions::utm_source,
                lead_submissions::landing_id,
                lead_submissions::payload,
            ))
            .first(&mut conn)
            .unwrap();
    assert_eq!(sub_utm.as_deref(), Some("google"));
    assert_eq!(sub_landing, landing);
    assert_eq!(payload["fields"]["cobertura"], "Completa");

    let consents: Vec<(String, bool, String, Option<String>)> = lead_consents::table
        .filter(lead_consents::lead_id.eq(id))
        .order(lead_consents::purpose.desc())
        .select((
            lead_consents::purpose,
            lead_consents::granted,
            lead_consents::text_version,
            lead_consents::ip,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(consents.len(), 2);
    assert_eq!(consents[0].0, "privacy");
    assert!(consents[0].1);
    assert_eq!(consents[0].2, "v1");
    assert_eq!(consents[0].3.as_deref(), Some("127.0.0.1"));
    assert_eq!(consents[1].0, "marketing");
    assert!(consents[1].1);

    let events: Vec<String> = domain_events::table
        .filter(domain_events::entity_type.eq("lead"))
        .select(domain_events::kind)
        .load(&mut conn)
        .unwrap();
    assert_eq!(events, ["lead.created"]);
    let mails: Vec<(String, String)> = outbound_emails::table
        .order(outbound_emails::id)
        .select((outbound_emails::kind, outbound_emails::to_address))
        .load(&mut conn)
        .unwrap();
    assert_eq!(mails.len(), 2);
    assert_eq!(
        mails[0],
        ("lead.confirmation".to_owned(), "ana@example.es".to_owned())
    );
    assert_eq!(mails[1].0, "lead.assigned");

    soriano::landings::fold_conversions(&mut conn).unwrap();
    let conversions: i64 = landing_daily_stats::table
        .select(landing_daily_stats::conversions)
        .first(&mut conn)
        .unwrap();
    assert_eq!(conversions, 1);
}

#[actix_web::test]
async fn marketing_consent_is_optional_and_recorded_as_refused() {
    let (app, _, _) = spawn().await;
    let served = open(&app, "/l/hogar").await;
    let fields: Vec<_> = good("b@example.es")
        .into_iter()
        .filter(|(k, _)| *k != "comunicaciones")
        .collect();
    assert_eq!(
        send(&app, &served, &fields).await.status(),
        StatusCode::SEE_OTHER
    );
    let marketing: bool = lead_consents::table
        .filter(lead_consents::purpose.eq("marketing"))
        .select(lead_consents::granted)
        .first(&mut app.db.conn())
        .unwrap();
    assert!(!marketing);
}

#[actix_web::test]
async fn every_field_rule_answers_with_a_spanish_message_and_keeps_the_values() {
    let (app, _, _) = spawn().await;
    let served = open(&app, "/l/hogar").await;
    let cases: [(&str, &str, &str); 8] = [
        ("nombre", "", "Rellene «Nombre»."),
        (
            "email",
            "ana@",
            "El correo electrónico no tiene un formato válido",
        ),
        ("telefono", "12345", "El teléfono tiene 9 cifras"),
        ("cp", "99001", "no corresponde a ninguna provincia"),
        (
            "cobertura",
            "Platino",
            "Elija una de las opciones de la lista.",
        ),
        ("fecha", "31/02/2026", "Escriba una fecha válida"),
        (
            "propietario",
            "",
            "Marque «Soy propietario» para continuar.",
        ),
        ("privacidad", "", "acepte la política de privacidad"),
    ];
    for (field, bad, message) in cases {
        let fields: Vec<(&str, &str)> = good("c@example.es")
            .into_iter()
            .map(|(k, v)| if k == field { (k, bad) } else { (k, v) })
            .collect();
        let response = send(&app, &served, &fields).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{field}: {message}");
        assert!(html.contains(r#"aria-invalid="true""#), "{field}");
        // The summary above the form links to the field.
        let target = if field == "privacidad" {
            "privacidad".to_owned()
        } else {
            format!("f-{field}")
        };
        assert!(html.contains("Hay errores en el formulario"), "{field}");
        assert!(
            html.contains(&format!(r##"<li><a href="#{target}">"##)),
            "{field}"
        );
        assert!(html.contains(r#"action="/l/hogar#formulario""#));
        // The other values stay in the form, and so does the one-time token.
        let kept = if field == "cp" { "Ana Pérez" } else { "28001" };
        assert!(html.contains(kept), "{field}");
        assert!(html.contains(&served.token), "{field}");
    }
    let missing_email: Vec<(&str, &str)> = good("").into_iter().collect();
    let html = send(&app, &served, &missing_email)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Escriba su correo electrónico."));
    assert_eq!(count_leads(&app), 0);
    // The corrected form goes through with the same token.
    assert_eq!(
        send(&app, &served, &good("c@example.es")).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(count_leads(&app), 1);
}

#[actix_web::test]
async fn a_quick_or_stale_submit_comes_back_with_its_values_and_bots_get_a_4xx() {
    let (app, _, _) = spawn().await;
    let served = open(&app, "/l/hogar").await;
    // The honeypot sent twice: the later value wins in the intake's map; send it alone.
    let response = app
        .post_form(
            "/l/hogar",
            &[
                &[
                    ("csrf_token", served.csrf.as_str()),
                    ("form_token", served.token.as_str()),
                    ("inicio", served.started.as_str()),
                    ("variante", served.variant.as_str()),
                    ("sitio_web", "http://spam.example"),
                ][..],
                &good("d@example.es")[..],
            ]
            .concat(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("No hemos podido recoger su solicitud")
    );
    assert_eq!(count_leads(&app), 0);

    // The start time the page itself served is seconds old: too fast for the defence, but a
    // person may be that quick: the form again, with what they typed and a new start time.
    let fresh = hidden(&served.html, "inicio");
    let quick = Served {
        started: fresh,
        ..open(&app, "/l/hogar").await
    };
    let response = send(&app, &quick, &good("d@example.es")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Por seguridad, revise los datos y vuelva a enviar el formulario."),
        "{html}"
    );
    assert!(html.contains("data-error-summary"));
    assert!(html.contains(r#"value="Ana Pérez""#));
    assert!(html.contains(r#"value="d@example.es""#));
    assert!(html.contains(r#"value="28001""#));
    assert!(html.contains(&quick.token), "the one-time token is kept");
    let restamped = hidden(&html, "inicio");
    assert!(!restamped.is_empty());
    // The new start time is a real one: the same answers sent with it later go through.
    let key = spam::stamp_key(&app.state.config.secret_key);
    assert_eq!(
        spam::check(
            &key,
            &[("inicio".to_owned(), restamped)],
            Utc::now() + Duration::seconds(10)
        ),
        Ok(())
    );

    // A forged or stale start time: the same, nothing stored.
    let forged = Served {
        started: format!("{}.forged", (Utc::now() - Duration::minutes(5)).timestamp()),
        ..open(&app, "/l/hogar").await
    };
    let response = send(&app, &forged, &good("d@example.es")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("Por seguridad"));
    assert_eq!(count_leads(&app), 0);
    let submissions: i64 = lead_submissions::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(submissions, 0);
}

#[actix_web::test]
async fn an_overlong_answer_says_the_limit_next_to_the_field_and_keeps_the_text() {
    let (app, _, _) = spawn().await;
    let served = open(&app, "/l/hogar").await;
    let long = "x".repeat(2_001);
    let with_name = |name: &str| -> Vec<(&str, String)> {
        good("e@example.es")
            .into_iter()
            .map(|(k, v)| {
                if k == "nombre" {
                    (k, name.to_owned())
                } else {
                    (k, v.to_owned())
                }
            })
            .collect()
    };
    let fields = with_name(&long);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = send(&app, &served, &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"<p class="field-error" id="f-nombre-error">Máximo 200 caracteres (ha escrito 2.001).</p>"#),
        "{html}"
    );
    assert!(html.contains(&long), "the text stays in the field");
    // Only absurd sizes are taken for a bot.
    let huge = with_name(&"x".repeat(spam::MAX_VALUE_BYTES + 1));
    let huge: Vec<(&str, &str)> = huge.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = send(&app, &served, &huge).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("No hemos podido recoger")
    );
    assert_eq!(count_leads(&app), 0);
}

#[actix_web::test]
async fn submissions_per_address_are_rate_limited() {
    let (app, _, _) = spawn().await;
    for i in 0..soriano::landings::intake::RATE_LIMIT {
        let served = open(&app, "/l/hogar").await;
        let email = format!("r{i}@example.es");
        let mut fields = good(&email);
        fields.retain(|(k, _)| *k != "telefono");
        assert_eq!(
            send(&app, &served, &fields).await.status(),
            StatusCode::SEE_OTHER,
            "{i}"
        );
    }
    let served = open(&app, "/l/hogar").await;
    let mut fields = good("over@example.es");
    fields.retain(|(k, _)| *k != "telefono");
    let response = send(&app, &served, &fields).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("muchas solicitudes")
    );
    assert_eq!(count_leads(&app), soriano::landings::intake::RATE_LIMIT);
}

#[actix_web::test]
async fn a_double_submit_creates_one_lead_and_shows_the_same_thank_you_page() {
    let (app, _, _) = spawn().await;
    let served = open(&app, "/l/hogar").await;
    let fields = good("f@example.es");
    let (first, second) = tokio::join!(send(&app, &served, &fields), send(&app, &served, &fields));
    let third = send(&app, &served, &good("f@example.es")).await;
    for response in [first, second, third] {
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/l/hogar/gracias");
    }
    assert_eq!(count_leads(&app), 1);
    let submissions: i64 = lead_submissions::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(submissions, 1);
    let mails: i64 = outbound_emails::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(mails, 2);
}

#[actix_web::test]
async fn the_same_person_within_30_days_adds_a_submission_to_the_open_lead() {
    let (app, _, _) = spawn().await;
    let served = open(&app, "/l/hogar").await;
    send(&app, &served, &good("g@example.es")).await;
    // Same phone, another e-mail, new form: same lead.
    let served = open(&app, "/l/hogar").await;
    let response = send(&app, &served, &good("otro@example.es")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(count_leads(&app), 1);
    let mut conn = app.db.conn();
    let (lead_id, submissions): (i64, i64) = (
        leads::table.select(leads::id).first(&mut conn).unwrap(),
        lead_submissions::table
            .count()
            .get_result(&mut conn)
            .unwrap(),
    );
    assert_eq!(submissions, 2);
    let kinds: Vec<String> = domain_events::table
        .order(domain_events::id)
        .select(domain_events::kind)
        .load(&mut conn)
        .unwrap();
    assert_eq!(kinds, ["lead.created", "lead.resubmitted"]);

    // A lost lead is not reopened: a new one is created.
    diesel::update(leads::table.find(lead_id))
        .set((
            leads::stage.eq("lost"),
            leads::lost_reason.eq(Some("Sin interés")),
        ))
        .execute(&mut conn)
        .unwrap();
    let served = open(&app, "/l/hogar").await;
    send(&app, &served, &good("g@example.es")).await;
    assert_eq!(count_leads(&app), 2);

    // Nor is one created more than 30 days ago.
    diesel::update(leads::table)
        .set(leads::created_at.eq(Utc::now() - Duration::days(31)))
        .execute(&mut conn)
        .unwrap();
    let served = open(&app, "/l/hogar").await;
    send(&app, &served, &good("g@example.es")).await;
    assert_eq!(count_leads(&app), 3);
}

#[actix_web::test]
async fn new_leads_rotate_among_active_agents() {
    let (app, agent1, agent2) = spawn().await;
    for email in ["h1@example.es", "h2@example.es", "h3@example.es"] {
        let served = open(&app, "/l/hogar").await;
        let mut fields = good(email);
        fields.retain(|(k, _)| *k != "telefono");
        send(&app, &served, &fields).await;
    }
    let agents: Vec<Option<i64>> = leads::table
        .order(leads::id)
        .select(leads::assigned_staff_id)
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(agents, [Some(agent1), Some(agent2), Some(agent1)]);
}

#[actix_web::test]
async fn variants_stick_to_a_visitor_and_count_visits() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        landing(conn, "hogar", true, &[("A", 1), ("B", 1)]);
    })
    .await;
    let first = open(&app, "/l/hogar").await;
    for _ in 0..4 {
        let again = open(&app, "/l/hogar").await;
        assert_eq!(again.variant, first.variant);
        let title = if again.html.contains("Título A") {
            "A"
        } else {
            "B"
        };
        assert!(first.html.contains(&format!("Título {title}")));
    }
    let mut conn = app.db.conn();
    // Views are tallied in memory and written every few seconds; write them now.
    assert_eq!(app.state.landing_visits.flush(&mut conn).unwrap(), 1);
    assert_eq!(app.state.landing_visits.flush(&mut conn).unwrap(), 0);
    let visits: Vec<(i64, i64)> = landing_daily_stats::table
        .select((
            landing_daily_stats::landing_variant_id,
            landing_daily_stats::visits,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].0.to_string(), first.variant);
    assert_eq!(visits[0].1, 5);
    // New visitors (no cookie) are split between both variants, each shown with its own
    // content (the published-landing cache keeps each variant's blocks parsed, by position).
    let mut seen = std::collections::HashMap::new();
    for _ in 0..40 {
        let client = common::new_client();
        let html = client
            .get(app.url("/l/hogar"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let title = if html.contains("Título A") { "A" } else { "B" };
        let earlier = seen.insert(hidden(&html, "variante"), title);
        assert!(
            earlier.is_none_or(|t| t == title),
            "one variant, one content"
        );
    }
    assert_eq!(seen.len(), 2);
    assert_ne!(seen.values().next(), seen.values().nth(1));
}

#[actix_web::test]
async fn a_variant_with_weight_zero_gets_no_new_visitors() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        landing(conn, "hogar", true, &[("A", 0), ("B", 1)]);
    })
    .await;
    for _ in 0..10 {
        let client = common::new_client();
        let html = client
            .get(app.url("/l/hogar"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("Título B"));
    }
}

#[actix_web::test]
async fn unpublished_landings_are_not_found_by_visitors() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        landing(conn, "borrador", false, &[("A", 1)]);
    })
    .await;
    assert_eq!(app.get("/l/borrador").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/l/no-existe").await.status(),
        StatusCode::NOT_FOUND
    );
    let published: bool = landings::table
        .select(landings::published)
        .first(&mut app.db.conn())
        .unwrap();
    assert!(!published);
}

#[actix_web::test]
async fn agents_per_line_take_that_lines_leads_in_turn() {
    let mut admin = 0;
    let (app, agent1, agent2) = {
        let mut ids = (0, 0);
        let app = TestApp::spawn_with(|conn| {
            soriano::seed::catalog(conn).unwrap();
            ids.0 = create_staff(conn, "agente1@soriano.es", Role::Agent, PASSWORD);
            ids.1 = create_staff(conn, "agente2@soriano.es", Role::Agent, PASSWORD);
            admin = create_staff(conn, "web@soriano.es", Role::Admin, PASSWORD);
            landing(conn, "hogar", true, &[("A", 1)]);
        })
        .await;
        (app, ids.0, ids.1)
    };
    assert!(admin > 0);
    let hogar: i64 = lines_of_business::table
        .filter(lines_of_business::code.eq("hogar"))
        .select(lines_of_business::id)
        .first(&mut app.db.conn())
        .unwrap();
    app.sign_in("web@soriano.es", PASSWORD).await;
    let page = app
        .get("/admin/reparto-de-leads")
        .await
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_from_html(&page);
    let pair = format!("{hogar}:{agent2}");
    let response = app
        .post_form(
            "/admin/reparto-de-leads",
            &[
                ("csrf_token", csrf.as_str()),
                ("reparto", pair.as_str()),
                ("reparto", "999:1"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    for email in ["k1@example.es", "k2@example.es"] {
        let served = open(&app, "/l/hogar").await;
        let mut fields = good(email);
        fields.retain(|(k, _)| *k != "telefono");
        send(&app, &served, &fields).await;
    }
    let agents: Vec<Option<i64>> = leads::table
        .order(leads::id)
        .select(leads::assigned_staff_id)
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(agents, [Some(agent2), Some(agent2)]);
    assert_ne!(agent1, agent2);
}

#[actix_web::test]
async fn the_landing_figures_cover_the_chosen_period_day_by_day() {
    let mut ids = (0, 0);
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        create_staff(conn, "admin@soriano.es", Role::Admin, PASSWORD);
        ids.0 = landing(conn, "hogar", true, &[("A", 1), ("B", 1)]);
        let variants: Vec<i64> = landing_variants::table
            .filter(landing_variants::landing_id.eq(ids.0))
            .order(landing_variants::id)
            .select(landing_variants::id)
            .load(conn)
            .unwrap();
        ids.1 = variants[1];
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 10, d).unwrap();
        // (variant, day, visits, conversions)
        for (variant, d, visits, conversions) in [
            (variants[0], 1, 100, 3),
            (variants[0], 15, 40, 2),
            (variants[1], 15, 50, 7),
            (variants[1], 31, 9, 1),
        ] {
            diesel::insert_into(landing_daily_stats::table)
                .values((
                    landing_daily_stats::landing_variant_id.eq(variant),
                    landing_daily_stats::day.eq(day(d)),
                    landing_daily_stats::visits.eq(visits as i64),
                    landing_daily_stats::conversions.eq(conversions as i64),
                ))
                .execute(conn)
                .unwrap();
        }
    })
    .await;
    let (landing_id, _) = ids;
    app.sign_in("admin@soriano.es", PASSWORD).await;

    let cells = |html: &str| -> Vec<String> {
        let re = regex::Regex::new(r"<tr><td>[AB]</td><td>\d+</td><td>(\d+)</td><td>(\d+)</td>")
            .unwrap();
        re.captures_iter(html)
            .map(|c| format!("{}/{}", &c[1], &c[2]))
            .collect()
    };
    let all = app
        .get(&format!("/admin/landings/{landing_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(all.contains("desde el principio"), "{all}");
    // Visits/conversions of A and B over everything.
    assert_eq!(cells(&all), ["140/5", "59/8"], "{all}");
    assert!(all.contains("<th scope=\"row\">15/10/2026</th><td>40 / 2</td><td>50 / 7</td>"));

    let middle = app
        .get(&format!(
            "/admin/landings/{landing_id}?desde=2026-10-10&hasta=2026-10-20"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(middle.contains("del 10/10/2026 al 20/10/2026"), "{middle}");
    assert_eq!(cells(&middle), ["40/2", "50/7"]);
    assert!(!middle.contains("01/10/2026"));
    assert!(!middle.contains("31/10/2026"));

    let reversed = app
        .get(&format!(
            "/admin/landings/{landing_id}?desde=2026-10-20&hasta=2026-10-10"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(reversed.contains("La fecha final no puede ser anterior a la inicial."));
    assert!(
        reversed.contains("value=\"2026-10-20\""),
        "the typed dates are kept"
    );
}

/// Rosa asks for taxi insurance through the quoter ("Lo quiero"), from the request page.
async fn taxi_request(app: &TestApp, name: &str, phone: &str, email: &str) {
    let quoter = [
        ("anio", "2022"),
        ("valor", "28000"),
        ("plazas", "7"),
        ("combustible", "hybrid"),
        ("municipio", "Sevilla"),
        ("provincia", "41"),
        ("turno", "night"),
        ("aeropuerto", "1"),
        ("edad", "41"),
        ("carne", "20"),
        ("taxista", "6"),
        ("siniestros", "1"),
        ("cobertura", "comprehensive_excess"),
        ("ocupantes", "1"),
        ("retirada", "1"),
    ];
    let page = app
        .get(&format!(
            "/taxi/solicitar?{}",
            serde_urlencoded::to_string(quoter).unwrap()
        ))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let mut form: Vec<(&str, &str)> = quoter.to_vec();
    let (csrf, token, shown) = (
        hidden(&html, "csrf_token"),
        hidden(&html, "token"),
        hidden(&html, "mostrado"),
    );
    form.extend([
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("mostrado", shown.as_str()),
        ("nombre", name),
        ("dni", "12345678Z"),
        ("telefono", phone),
        ("email", email),
        ("matricula", "1234 BCD"),
        ("licencia", "LIC-0457"),
        ("privacidad", "1"),
    ]);
    let response = app.post_form("/taxi/solicitar", &form).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "taxi request sent"
    );
}

#[actix_web::test]
async fn another_persons_request_with_a_shared_phone_is_a_new_flagged_lead_and_a_repeat_joins() {
    let mut agent = 0;
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        soriano::seed::taxi::taxi_tariffs(conn).unwrap();
        agent = create_staff(conn, "agente1@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "admin@soriano.es", Role::Admin, PASSWORD);
        landing(conn, "hogar", true, &[("A", 1)]);
    })
    .await;
    taxi_request(&app, "Rosa Taxista Pérez", "600 123 456", "rosa@example.es").await;
    let taxi_lead: i64 = leads::table
        .select(leads::id)
        .first(&mut app.db.conn())
        .unwrap();

    // Lucía, who shares Rosa's phone, asks for home insurance: a lead of her own.
    let lucia = [
        ("nombre", "Lucía Hogar Gil"),
        ("email", "lucia@example.es"),
        ("telefono", "600123456"),
        ("propietario", "si"),
        ("privacidad", "si"),
    ];
    let served = open(&app, "/l/hogar").await;
    let response = send(&app, &served, &lucia).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(count_leads(&app), 2, "two people, two leads");
    let mut conn = app.db.conn();
    let (home_lead, name, duplicate_of, assigned): (i64, String, Option<i64>, Option<i64>) =
        leads::table
            .filter(leads::source.eq("landing"))
            .select((
                leads::id,
                leads::full_name,
                leads::possible_duplicate_of,
                leads::assigned_staff_id,
            ))
            .first(&mut conn)
            .unwrap();
    assert_eq!(name, "Lucía Hogar Gil");
    assert_eq!(
        duplicate_of,
        Some(taxi_lead),
        "flagged, pointing at the other lead"
    );
    assert_eq!(assigned, Some(agent), "assigned as any lead");
    let submissions_of = |conn: &mut PgConnection, lead: i64| -> i64 {
        lead_submissions::table
            .filter(lead_submissions::lead_id.eq(lead))
            .count()
            .get_result(conn)
            .unwrap()
    };
    assert_eq!(
        submissions_of(&mut conn, taxi_lead),
        1,
        "Rosa's lead untouched"
    );
    assert_eq!(submissions_of(&mut conn, home_lead), 1);
    let told: Vec<String> = outbound_emails::table
        .filter(outbound_emails::kind.eq("lead.assigned"))
        .filter(outbound_emails::to_address.eq("agente1@soriano.es"))
        .select(outbound_emails::subject)
        .load(&mut conn)
        .unwrap();
    assert_eq!(told, ["Nuevo lead asignado: Lucía Hogar Gil"]);

    // Lucía again, same line of business: a true repeat joins her lead.
    let served = open(&app, "/l/hogar").await;
    let mut again = lucia.to_vec();
    again[1] = ("email", "lucia.gil@example.es");
    assert_eq!(
        send(&app, &served, &again).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(count_leads(&app), 2);
    assert_eq!(submissions_of(&mut conn, home_lead), 2);

    // The agent sees the flag and the link on the lead's page and in the list.
    app.sign_in("admin@soriano.es", PASSWORD).await;
    let page = app
        .get(&format!("/admin/leads/{home_lead}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Posible duplicado"), "{page}");
    assert!(page.contains(&format!("href=\"/admin/leads/{taxi_lead}\"")));
    let list = app.get("/admin/leads/lista").await.text().await.unwrap();
    assert!(list.contains("lead-duplicate"));
    assert!(list.contains(&format!(
        "href=\"/admin/leads/{taxi_lead}\">el lead n.º {taxi_lead}"
    )));
    app.stop().await;
}

const INVALID: &str = "Este campo contiene caracteres no válidos.";

/// The message next to `field` (its error paragraph follows the input).
fn message_next_to(html: &str, field: &str) -> bool {
    let re = regex::Regex::new(&format!(
        r#"(?s)name="{field}".{{0,400}}?{}"#,
        regex::escape(INVALID)
    ))
    .unwrap();
    re.is_match(html)
}

#[actix_web::test]
async fn nul_bytes_in_the_public_forms_are_refused_next_to_the_field_and_nothing_is_written() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        soriano::seed::taxi::taxi_tariffs(conn).unwrap();
        create_staff(conn, "agente1@soriano.es", Role::Agent, PASSWORD);
        landing(conn, "hogar", true, &[("A", 1)]);
    })
    .await;

    // The landing form: the rest of what was typed comes back.
    let served = open(&app, "/l/hogar").await;
    let mut fields = good("nul@example.es");
    fields[0] = ("nombre", "Ana\u{0}Pérez");
    let response = send(&app, &served, &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(message_next_to(&html, "nombre"), "{html}");
    assert!(html.contains("AnaPérez") && html.contains("nul@example.es"));

    // The contact page.
    let html = app.get("/contacto").await.text().await.unwrap();
    let started = spam::stamp(
        &spam::stamp_key(&app.state.config.secret_key),
        Utc::now() - Duration::seconds(20),
    );
    let (csrf, token) = (hidden(&html, "csrf_token"), hidden(&html, "form_token"));
    let response = app
        .post_form(
            "/contacto",
            &[
                ("csrf_token", csrf.as_str()),
                ("form_token", token.as_str()),
                ("inicio", started.as_str()),
                ("sitio_web", ""),
                ("nombre", "Pedro Gil"),
                ("email", "pedro@example.es"),
                ("mensaje", "Quiero\u{0} asegurar mi comercio"),
                ("privacidad", "si"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(message_next_to(&html, "mensaje"), "{html}");
    assert!(html.contains("Pedro Gil"));

    // The taxi request: an escape character in the licence.
    let quoter = serde_urlencoded::to_string([
        ("anio", "2022"),
        ("valor", "28000"),
        ("plazas", "7"),
        ("combustible", "hybrid"),
        ("municipio", "Sevilla"),
        ("provincia", "41"),
        ("turno", "night"),
        ("aeropuerto", "1"),
        ("edad", "41"),
        ("carne", "20"),
        ("taxista", "6"),
        ("siniestros", "1"),
        ("cobertura", "comprehensive_excess"),
        ("ocupantes", "1"),
        ("retirada", "1"),
    ])
    .unwrap();
    let html = app
        .get(&format!("/taxi/solicitar?{quoter}"))
        .await
        .text()
        .await
        .unwrap();
    let (csrf, token, shown) = (
        hidden(&html, "csrf_token"),
        hidden(&html, "token"),
        hidden(&html, "mostrado"),
    );
    let mut form: Vec<(String, String)> = serde_urlencoded::from_str(&quoter).unwrap();
    for (name, value) in [
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("mostrado", shown.as_str()),
        ("nombre", "Rosa Taxista"),
        ("dni", "12345678Z"),
        ("telefono", "600123456"),
        ("email", "rosa@example.es"),
        ("matricula", "1234 BCD"),
        ("licencia", "LIC\u{0}0457"),
        ("privacidad", "1"),
    ] {
        form.push((name.to_owned(), value.to_owned()));
    }
    let response = app
        .client
        .post(app.url("/taxi/solicitar"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(message_next_to(&html, "licencia"), "{html}");
    assert!(html.contains("Rosa Taxista"));

    assert_eq!(count_leads(&app), 0, "nothing written");
    let mails: i64 = outbound_emails::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(mails, 0);
    app.stop().await;
}

/// The stored words a lead's consent points at, for `purpose`.
fn consent_words(app: &TestApp, purpose: &str) -> Vec<String> {
    use soriano::db::schema::legal_texts;
    lead_consents::table
        .inner_join(legal_texts::table.on(legal_texts::id.nullable().eq(lead_consents::text_id)))
        .filter(lead_consents::purpose.eq(purpose))
        .order(lead_consents::id)
        .select(legal_texts::body)
        .load(&mut app.db.conn())
        .unwrap()
}

#[actix_web::test]
async fn each_consent_keeps_the_exact_words_the_visitor_accepted() {
    let (app, _, _) = spawn().await;
    let privacy_before: String = soriano::db::schema::landings::table
        .filter(soriano::db::schema::landings::slug.eq("hogar"))
        .select(soriano::db::schema::landings::privacy_text)
        .first(&mut app.db.conn())
        .unwrap();
    let served = open(&app, "/l/hogar").await;
    assert_eq!(
        send(&app, &served, &good("c1@example.es")).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(consent_words(&app, "privacy"), vec![privacy_before.clone()]);
    assert_eq!(consent_words(&app, "marketing").len(), 1);

    // The editor changes the clause without changing the version label: the next consent
    // points at the new words, the earlier one still at what that visitor read.
    let changed = format!("{privacy_before} Texto revisado en diciembre.");
    diesel::update(
        soriano::db::schema::landings::table
            .filter(soriano::db::schema::landings::slug.eq("hogar")),
    )
    .set(soriano::db::schema::landings::privacy_text.eq(&changed))
    .execute(&mut app.db.conn())
    .unwrap();
    // As the editor's save does: the site's copy of the landing is dropped, so the next visitor
    // reads (and accepts) the new words.
    app.state.landing_pages.clear();
    let served = open(&app, "/l/hogar").await;
    assert_eq!(
        send(&app, &served, &good("c2@example.es")).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        consent_words(&app, "privacy"),
        vec![privacy_before, changed]
    );
}
