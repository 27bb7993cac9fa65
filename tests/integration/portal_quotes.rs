//! e-SORI "Presupuestos": quote requests become portal leads (with their submission, event and
//! e-mail, once per form), the list shows only the quotes sent to the signed-in client, and
//! accepting an option records the choice and hands the issuance to the agent, once, and only
//! for the client's own sent quote within validity.

use crate::common;
use crate::portal_support;

use diesel::prelude::*;
use portal_support::{AGENT, PASSWORD, World, home_quote, portal_sign_in, spawn};
use reqwest::StatusCode;
use soriano::db::schema::{
    domain_events, lead_submissions, leads, lines_of_business, outbound_emails, quotes, tasks,
};

fn line_id(conn: &mut PgConnection, code: &str) -> i64 {
    lines_of_business::table
        .filter(lines_of_business::code.eq(code))
        .select(lines_of_business::id)
        .first(conn)
        .unwrap()
}

fn form_token(html: &str) -> String {
    let re = regex::Regex::new(r#"name="token" value="([^"]+)""#).unwrap();
    re.captures(html).expect("form token")[1].to_owned()
}

async fn page(app: &common::TestApp, path: &str) -> (StatusCode, String) {
    let response = app.get(path).await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The request form of line `code` as a browser gets it: (csrf, one-time token).
async fn request_form(app: &common::TestApp, line: i64) -> (String, String) {
    let (status, html) = page(app, &format!("/portal/presupuestos/solicitar?ramo={line}")).await;
    assert_eq!(status, StatusCode::OK);
    (common::csrf_from_html(&html), form_token(&html))
}

fn count_leads(conn: &mut PgConnection, customer: i64) -> i64 {
    leads::table
        .filter(leads::customer_id.eq(customer))
        .count()
        .get_result(conn)
        .unwrap()
}

#[actix_web::test]
async fn a_request_becomes_one_portal_lead_with_submission_event_and_email() {
    let (app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    let hogar = line_id(&mut conn, "hogar");
    portal_sign_in(&app, &world.a.email, PASSWORD).await;

    // The line picker first; the line's questions once a line is chosen.
    let (status, html) = page(&app, "/portal/presupuestos/solicitar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Tipo de seguro") && html.contains("Hogar"),
        "{html}"
    );
    assert!(!html.contains("name=\"direccion\""));
    // htmx swaps the questions in when the line changes.
    let partial = app
        .get_htmx(&format!("/portal/presupuestos/solicitar?ramo={hogar}"))
        .await;
    assert_eq!(partial.status(), StatusCode::OK);
    let partial = partial.text().await.unwrap();
    assert!(partial.contains("id=\"preguntas\""));
    assert!(partial.contains("name=\"direccion\"") && !partial.contains("name=\"matricula\""));
    assert!(!partial.contains("<html"), "a partial, not the page");

    let (csrf, token) = request_form(&app, hogar).await;
    let hogar_text = hogar.to_string();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("ramo", hogar_text.as_str()),
        ("direccion", "Calle del Coso 10, 2º"),
        ("codigo_postal", "50001"),
        ("poblacion", "Zaragoza"),
        ("superficie", "85"),
        ("anio_construccion", "1990"),
        ("horario", "tarde"),
        (
            "comentarios",
            "Tengo una póliza en otra compañía que vence en enero.",
        ),
    ];
    let response = app
        .post_form("/portal/presupuestos/solicitar", &fields)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/portal/presupuestos");

    let lead: (i64, String, Option<i64>, Option<i64>, Option<String>) = leads::table
        .filter(leads::customer_id.eq(world.a.customer_id))
        .select((
            leads::id,
            leads::source,
            leads::assigned_staff_id,
            leads::line_id,
            leads::email,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(lead.1, "portal");
    assert_eq!(
        lead.2,
        Some(world.agent_id),
        "the client's own agent takes it"
    );
    assert_eq!(lead.3, Some(hogar));
    assert_eq!(lead.4.as_deref(), Some(world.a.email.as_str()));
    let (form_token_stored, payload): (Option<String>, serde_json::Value) = lead_submissions::table
        .filter(lead_submissions::lead_id.eq(lead.0))
        .select((lead_submissions::form_token, lead_submissions::payload))
        .first(&mut conn)
        .unwrap();
    assert_eq!(form_token_stored.as_deref(), Some(token.as_str()));
    assert_eq!(payload["ramo"], "Hogar");
    assert_eq!(payload["riesgo"]["kind"], "home");
    assert_eq!(payload["riesgo"]["postcode"], "50001");
    assert_eq!(payload["horario"], "Por la tarde (de 16 a 20 h)");
    assert!(
        payload["comentarios"]
            .as_str()
            .unwrap()
            .contains("vence en enero")
    );
    let events: Vec<String> = domain_events::table
        .filter(domain_events::entity_type.eq("lead"))
        .filter(domain_events::entity_id.eq(lead.0))
        .select(domain_events::kind)
        .load(&mut conn)
        .unwrap();
    assert_eq!(events, vec!["lead.created".to_owned()]);
    let mails: Vec<String> = outbound_emails::table
        .filter(outbound_emails::kind.eq("lead.assigned"))
        .filter(outbound_emails::to_address.eq(AGENT))
        .select(outbound_emails::body_text)
        .load(&mut conn)
        .unwrap();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(&format!("/admin/leads/{}", lead.0)));

    let (_, list) = page(&app, "/portal/presupuestos").await;
    assert!(
        list.contains("Hemos recibido su solicitud"),
        "flash: {list}"
    );

    // The same form again (a double click, a reload): no second lead.
    let again = app
        .post_form("/portal/presupuestos/solicitar", &fields)
        .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(count_leads(&mut conn, world.a.customer_id), 1);
    let submissions: i64 = lead_submissions::table
        .filter(lead_submissions::lead_id.eq(lead.0))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(submissions, 1);

    // The list shows the open request, as the client asked it.
    let (_, list) = page(&app, "/portal/presupuestos").await;
    assert!(list.contains("ya se había enviado"), "flash: {list}");
    assert!(list.contains("en estudio"));
    assert!(
        list.contains("Calle del Coso 10, 2º, 50001 Zaragoza"),
        "{list}"
    );
    assert!(list.contains("vence en enero"));

    // Client B sees nothing of it.
    let csrf = app.csrf_token("/portal/inicio").await;
    app.post_form("/portal/salir", &[("csrf_token", &csrf)])
        .await;
    portal_sign_in(&app, &world.b.email, PASSWORD).await;
    let (_, list) = page(&app, "/portal/presupuestos").await;
    assert!(!list.contains("Calle del Coso"));
    assert!(list.contains("No tiene solicitudes en estudio."));
    app.stop().await;
}

#[actix_web::test]
async fn a_request_is_validated_field_by_field_and_keeps_the_values() {
    let (app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    let (hogar, vida, auto) = (
        line_id(&mut conn, "hogar"),
        line_id(&mut conn, "vida"),
        line_id(&mut conn, "auto"),
    );
    portal_sign_in(&app, &world.a.email, PASSWORD).await;

    let (csrf, token) = request_form(&app, hogar).await;
    let long = "x".repeat(2001);
    let hogar_text = hogar.to_string();
    let response = app
        .post_form(
            "/portal/presupuestos/solicitar",
            &[
                ("csrf_token", csrf.as_str()),
                ("token", token.as_str()),
                ("ramo", hogar_text.as_str()),
                ("direccion", ""),
                ("codigo_postal", "123"),
                ("poblacion", "Villanueva de Gállego"),
                ("superficie", "mucho"),
                ("anio_construccion", "1500"),
                ("horario", ""),
                ("comentarios", long.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    for message in [
        "Escriba la dirección del riesgo.",
        "Escriba los metros cuadrados construidos (un número entero).",
        "Elija cuándo prefiere que le llamemos.",
        "Escriba como mucho 2000 caracteres.",
    ] {
        assert!(html.contains(message), "{message}: {html}");
    }
    assert!(html.contains("id=\"codigo_postal-error\""));
    assert!(html.contains("id=\"anio_construccion-error\""));
    // Values kept, the same token (so the corrected form still counts once).
    assert!(html.contains("value=\"Villanueva de Gállego\""));
    assert!(html.contains("value=\"123\""));
    assert!(html.contains(&format!("name=\"token\" value=\"{token}\"")));

    // Persons lines ask for the insured; vehicle lines for the plate.
    let vida_text = vida.to_string();
    let (csrf, token) = request_form(&app, vida).await;
    let response = app
        .post_form(
            "/portal/presupuestos/solicitar",
            &[
                ("csrf_token", csrf.as_str()),
                ("token", token.as_str()),
                ("ramo", vida_text.as_str()),
                ("horario", "manana"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Indique al menos una persona asegurada."));
    assert!(html.contains("name=\"asegurado1_nombre\""));

    let auto_text = auto.to_string();
    let (csrf, token) = request_form(&app, auto).await;
    let response = app
        .post_form(
            "/portal/presupuestos/solicitar",
            &[
                ("csrf_token", csrf.as_str()),
                ("token", token.as_str()),
                ("ramo", auto_text.as_str()),
                ("matricula", "no es una matrícula"),
                ("marca", "Seat"),
                ("modelo", ""),
                ("anio_matriculacion", "2019"),
                ("horario", "cualquiera"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"matricula-error\""));
    assert!(html.contains("Escriba el modelo."));
    assert!(html.contains("value=\"Seat\""));

    // No line, or a forged token.
    let (csrf, token) = request_form(&app, hogar).await;
    let response = app
        .post_form(
            "/portal/presupuestos/solicitar",
            &[
                ("csrf_token", csrf.as_str()),
                ("token", token.as_str()),
                ("ramo", ""),
                ("horario", "tarde"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Elija el tipo de seguro.")
    );
    let response = app
        .post_form(
            "/portal/presupuestos/solicitar",
            &[
                ("csrf_token", csrf.as_str()),
                ("token", "x"),
                ("ramo", hogar_text.as_str()),
                ("horario", "tarde"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("El formulario ha caducado")
    );

    assert_eq!(
        count_leads(&mut conn, world.a.customer_id),
        0,
        "nothing stored"
    );
    app.stop().await;
}

/// Quotes: A has a draft and a sent one, B a sent one.
struct Quotes {
    a_draft: i64,
    a_sent: i64,
    a_options: Vec<i64>,
    b_sent: i64,
}

fn quotes_of(app: &common::TestApp, world: &World) -> Quotes {
    let mut conn = app.db.conn();
    let (a_draft, _) = home_quote(&mut conn, &world.a, world.agent_id, false);
    let (a_sent, a_options) = home_quote(&mut conn, &world.a, world.agent_id, true);
    let (b_sent, _) = home_quote(&mut conn, &world.b, world.agent_id, true);
    Quotes {
        a_draft,
        a_sent,
        a_options,
        b_sent,
    }
}

fn number(conn: &mut PgConnection, id: i64) -> String {
    quotes::table
        .find(id)
        .select(quotes::number)
        .first(conn)
        .unwrap()
}

#[actix_web::test]
async fn the_list_and_the_detail_show_only_the_quotes_sent_to_this_client() {
    let (app, world) = spawn(true).await;
    let q = quotes_of(&app, &world);
    let mut conn = app.db.conn();
    let (draft, sent, other) = (
        number(&mut conn, q.a_draft),
        number(&mut conn, q.a_sent),
        number(&mut conn, q.b_sent),
    );
    portal_sign_in(&app, &world.a.email, PASSWORD).await;

    let (status, list) = page(&app, "/portal/presupuestos").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&sent), "{list}");
    assert!(!list.contains(&draft), "never a draft");
    assert!(!list.contains(&other), "never another client's");
    assert!(list.contains("Enviado: pendiente de su respuesta"));
    assert!(list.contains("302,40 €"), "the cheapest option: {list}");

    let (_, home) = page(&app, "/portal/inicio").await;
    assert!(
        home.contains("Tiene 1 presupuesto pendiente de su respuesta."),
        "{home}"
    );
    let (_, nav) = page(&app, "/portal/polizas").await;
    assert!(nav.contains("href=\"/portal/presupuestos\""));

    let (status, detail) = page(&app, &format!("/portal/presupuestos/{}", q.a_sent)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(detail.contains("Calle Mayor 1, 50001 Zaragoza"));
    assert!(detail.contains("336,00 € al año") && detail.contains("302,40 € al año"));
    assert!(
        detail.contains("12 recibos mensuales de unos 28,00 €"),
        "{detail}"
    );
    assert!(detail.contains("Continente, contenido y responsabilidad civil."));
    assert_eq!(
        detail.matches("Aceptar esta opción").count(),
        3,
        "hint + two buttons"
    );

    for id in [q.a_draft, q.b_sent, 999_999] {
        let (status, body) = page(&app, &format!("/portal/presupuestos/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
        assert!(!body.contains(&other) && !body.contains(&draft));
    }
    app.stop().await;
}

/// (status, chosen option, client accepted at, client's option, policy) of a quote.
type Acceptance = (
    String,
    Option<i64>,
    Option<chrono::DateTime<chrono::Utc>>,
    Option<i64>,
    Option<i64>,
);

fn counts(conn: &mut PgConnection, quote: i64) -> (i64, i64, i64) {
    let events = domain_events::table
        .filter(domain_events::kind.eq("quote.accepted_by_client"))
        .filter(domain_events::entity_id.eq(quote))
        .count()
        .get_result(conn)
        .unwrap();
    let tasks = tasks::table
        .filter(tasks::entity_type.eq("quote"))
        .filter(tasks::entity_id.eq(quote))
        .count()
        .get_result(conn)
        .unwrap();
    let subject = format!(
        "Presupuesto {} aceptado por el cliente",
        number(conn, quote)
    );
    let mails = outbound_emails::table
        .filter(outbound_emails::kind.eq("quote.accepted_by_client"))
        .filter(outbound_emails::subject.eq(subject))
        .count()
        .get_result(conn)
        .unwrap();
    (events, tasks, mails)
}

#[actix_web::test]
async fn accepting_records_the_choice_and_hands_the_issuance_to_the_agent() {
    let (app, world) = spawn(true).await;
    let q = quotes_of(&app, &world);
    let mut conn = app.db.conn();
    let chosen = q.a_options[1];
    portal_sign_in(&app, &world.a.email, PASSWORD).await;
    let path = format!("/portal/presupuestos/{}", q.a_sent);
    let csrf = app.csrf_token(&path).await;
    let chosen_text = chosen.to_string();
    // The pre-contract information is shown with the quote; accepting confirms it was read.
    let (_, shown) = page(&app, &path).await;
    assert!(shown.contains("Información previa a la contratación"));
    assert!(
        shown.contains(soriano::distribution::precontract::VERSION)
            || shown.contains("Cómo cobramos")
    );
    let unread = app
        .post_form(
            &format!("{path}/aceptar"),
            &[
                ("csrf_token", csrf.as_str()),
                ("opcion", chosen_text.as_str()),
            ],
        )
        .await;
    assert_eq!(unread.status(), StatusCode::SEE_OTHER);
    let (_, refused) = page(&app, &path).await;
    assert!(
        refused.contains("Confirme que ha leído la información previa a la contratación."),
        "{refused}"
    );
    assert_eq!(counts(&mut conn, q.a_sent), (0, 0, 0), "nothing written");
    let response = app
        .post_form(
            &format!("{path}/aceptar"),
            &[
                ("csrf_token", csrf.as_str()),
                ("opcion", chosen_text.as_str()),
                ("informacion_previa", "si"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), path);
    let record = soriano::distribution::records::of_quote(&mut conn, q.a_sent)
        .unwrap()
        .expect("the delivery is recorded");
    let delivery = record.precontract.expect("delivered in e-SORI");
    assert_eq!(delivery.channel, soriano::distribution::Channel::Portal);
    assert!(
        delivery.proof.contains(&world.a.email),
        "{}",
        delivery.proof
    );
    let text = soriano::distribution::legal_texts::find(&mut conn, delivery.text_id)
        .unwrap()
        .unwrap();
    assert!(text.body.contains("Cómo cobramos"));

    let (status, chosen_id, accepted_at, accepted_option, policy): Acceptance = quotes::table
        .find(q.a_sent)
        .select((
            quotes::status,
            quotes::chosen_option_id,
            quotes::client_accepted_at,
            quotes::client_accepted_option_id,
            quotes::policy_id,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "sent", "the policy is issued by staff, not here");
    assert_eq!(chosen_id, Some(chosen));
    assert!(accepted_at.is_some());
    assert_eq!(accepted_option, Some(chosen));
    assert_eq!(policy, None);
    assert_eq!(counts(&mut conn, q.a_sent), (1, 1, 1));
    let (title, due, assignee, priority): (String, Option<chrono::NaiveDate>, i64, String) =
        tasks::table
            .filter(tasks::entity_type.eq("quote"))
            .filter(tasks::entity_id.eq(q.a_sent))
            .select((
                tasks::title,
                tasks::due_date,
                tasks::assignee_staff_id,
                tasks::priority,
            ))
            .first(&mut conn)
            .unwrap();
    assert!(title.contains("aceptada por el cliente"), "{title}");
    assert_eq!(due, Some(soriano::policies::today()));
    assert_eq!(assignee, world.agent_id);
    assert_eq!(priority, "high");
    let (to, body): (String, String) = outbound_emails::table
        .filter(outbound_emails::kind.eq("quote.accepted_by_client"))
        .select((outbound_emails::to_address, outbound_emails::body_text))
        .first(&mut conn)
        .unwrap();
    assert_eq!(to, AGENT);
    assert!(body.contains(&format!("/admin/presupuestos/{}", q.a_sent)));

    let (_, detail) = page(&app, &path).await;
    assert!(
        detail.contains("Ha aceptado el presupuesto"),
        "flash: {detail}"
    );
    assert!(detail.contains("Aceptado por usted"));
    assert!(
        !detail.contains("name=\"opcion\""),
        "no more accept buttons"
    );
    let (_, home) = page(&app, "/portal/inicio").await;
    assert!(!home.contains("presupuestos-pendientes"));

    // The client answered in time: the worker does not expire the quote while staff issue it.
    diesel::update(quotes::table.find(q.a_sent))
        .set(quotes::valid_until.eq(soriano::policies::today() - chrono::Days::new(1)))
        .execute(&mut conn)
        .unwrap();
    let expired = soriano::quotes::expire_overdue(&mut conn, soriano::policies::today()).unwrap();
    assert_eq!(expired, 0);

    // The back-office shows the client's answer and issues the policy with that option.
    app.sign_in(AGENT, PASSWORD).await;
    let admin_path = format!("/admin/presupuestos/{}", q.a_sent);
    let (status, admin) = page(&app, &admin_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(admin.contains("Aceptado por el cliente el"), "{admin}");
    assert!(
        admin.contains(&format!("<option value=\"{chosen}\" selected>")),
        "the client's option is the default"
    );
    let csrf = common::csrf_from_html(&admin);
    let today = soriano::policies::today().format("%Y-%m-%d").to_string();
    let issue = [
        ("csrf_token", csrf.as_str()),
        ("numero", "HOG-CLIENTE-1"),
        ("efecto", today.as_str()),
        ("forma_pago", "annual"),
    ];
    // RDL 3/2020: the pre-contract information was read in e-SORI, but the client's demands
    // and needs were never recorded: no policy without them (or a recorded reason).
    let refused = app
        .post_form(&format!("{admin_path}/aceptar"), &issue)
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = refused.text().await.unwrap();
    assert!(
        refused.contains("Falta en el registro de distribución: las exigencias y necesidades del cliente; la opción recomendada y el motivo."),
        "{refused}"
    );
    assert!(refused.contains(r#"id="motivo_sin_registro-error""#));
    let needs = app
        .post_form(
            &format!("{admin_path}/necesidades"),
            &[
                ("csrf_token", csrf.as_str()),
                ("n_regimen", "Propietario, vivienda habitual"),
                ("n_bienes", "Continente y contenido"),
                ("n_hipoteca", "Sí"),
                ("n_responsabilidad_civil", "Sí"),
                ("n_presupuesto", "El equilibrio entre precio y coberturas"),
                ("opcion_recomendada", chosen_text.as_str()),
                ("motivo_recomendacion", "Cubre continente y contenido con responsabilidad civil familiar al mejor precio de las comparadas."),
            ],
        )
        .await;
    assert_eq!(needs.status(), StatusCode::SEE_OTHER);
    let issued = app
        .post_form(&format!("{admin_path}/aceptar"), &issue)
        .await;
    assert_eq!(issued.status(), StatusCode::SEE_OTHER);
    let (status, chosen_after, policy): (String, Option<i64>, Option<i64>) = quotes::table
        .find(q.a_sent)
        .select((quotes::status, quotes::chosen_option_id, quotes::policy_id))
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "accepted");
    assert_eq!(chosen_after, Some(chosen));
    let premium: i64 = soriano::db::schema::policies::table
        .find(policy.unwrap())
        .select(soriano::db::schema::policies::total_premium_cents)
        .first(&mut conn)
        .unwrap();
    assert_eq!(premium, 30_240, "the option the client chose");
    let policy = policy.unwrap();
    let (_, policy_page) = page(&app, &format!("/admin/polizas/{policy}")).await;
    assert!(policy_page.contains("Cómo se contrató"));
    assert!(policy_page.contains("Continente y contenido"));
    assert!(policy_page.contains("Área de clientes e-SORI"));
    // The client (still signed in to e-SORI in this browser) reads the same record there.
    let (status, portal_policy) = page(&app, &format!("/portal/polizas/{policy}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(portal_policy.contains("Cómo se contrató"));
    assert!(portal_policy.contains("Cubre continente y contenido con responsabilidad civil"));
    app.stop().await;
}

#[actix_web::test]
async fn accepting_twice_expired_drafts_and_other_clients_quotes_write_nothing() {
    let (app, world) = spawn(true).await;
    let q = quotes_of(&app, &world);
    let mut conn = app.db.conn();
    portal_sign_in(&app, &world.a.email, PASSWORD).await;
    let csrf = app.csrf_token("/portal/presupuestos").await;
    let accept = |id: i64, option: i64| {
        let (app, csrf) = (&app, csrf.clone());
        async move {
            let option = option.to_string();
            app.post_form(
                &format!("/portal/presupuestos/{id}/aceptar"),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("opcion", option.as_str()),
                    ("informacion_previa", "si"),
                ],
            )
            .await
        }
    };

    // CSRF missing: refused before any handler.
    let option = q.a_options[0].to_string();
    let forged = app
        .post_form(
            &format!("/portal/presupuestos/{}/aceptar", q.a_sent),
            &[("opcion", option.as_str())],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(counts(&mut conn, q.a_sent), (0, 0, 0));

    // Another client's quote, a draft, an option of another quote: 404.
    let b_option: i64 = soriano::db::schema::quote_options::table
        .filter(soriano::db::schema::quote_options::quote_id.eq(q.b_sent))
        .select(soriano::db::schema::quote_options::id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        accept(q.b_sent, b_option).await.status(),
        StatusCode::NOT_FOUND
    );
    let draft_option: i64 = soriano::db::schema::quote_options::table
        .filter(soriano::db::schema::quote_options::quote_id.eq(q.a_draft))
        .select(soriano::db::schema::quote_options::id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        accept(q.a_draft, draft_option).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        accept(q.a_sent, b_option).await.status(),
        StatusCode::NOT_FOUND
    );
    let untouched: i64 = quotes::table
        .filter(quotes::client_accepted_at.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(untouched, 0);

    // Accepting twice: the second is refused with a clear message and writes nothing.
    let first = accept(q.a_sent, q.a_options[0]).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = accept(q.a_sent, q.a_options[1]).await;
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    let (_, detail) = page(&app, &format!("/portal/presupuestos/{}", q.a_sent)).await;
    assert!(detail.contains("Ya aceptó este presupuesto"), "{detail}");
    assert_eq!(counts(&mut conn, q.a_sent), (1, 1, 1));
    let chosen: Option<i64> = quotes::table
        .find(q.a_sent)
        .select(quotes::chosen_option_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(chosen, Some(q.a_options[0]), "the first answer stands");

    // A sent quote past its validity (not yet expired by the worker).
    let (late, late_options) = home_quote(&mut conn, &world.a, world.agent_id, true);
    diesel::update(quotes::table.find(late))
        .set(quotes::valid_until.eq(soriano::policies::today() - chrono::Days::new(1)))
        .execute(&mut conn)
        .unwrap();
    let (_, detail) = page(&app, &format!("/portal/presupuestos/{late}")).await;
    assert!(detail.contains("Caducado") && !detail.contains("name=\"opcion\""));
    let response = accept(late, late_options[0]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, detail) = page(&app, &format!("/portal/presupuestos/{late}")).await;
    assert!(
        detail.contains("La validez de este presupuesto terminó el"),
        "{detail}"
    );
    assert_eq!(counts(&mut conn, late), (0, 0, 0));

    // B's quote is untouched.
    let b: (Option<i64>, Option<chrono::DateTime<chrono::Utc>>) = quotes::table
        .find(q.b_sent)
        .select((quotes::chosen_option_id, quotes::client_accepted_at))
        .first(&mut conn)
        .unwrap();
    assert_eq!(b, (None, None));
    app.stop().await;
}

#[actix_web::test]
async fn a_request_without_csrf_is_refused_and_row_security_hides_other_clients_leads() {
    let (app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    let hogar = line_id(&mut conn, "hogar");
    portal_sign_in(&app, &world.a.email, PASSWORD).await;
    let (_, token) = request_form(&app, hogar).await;
    let hogar_text = hogar.to_string();
    let mut fields = vec![
        ("token", token.as_str()),
        ("ramo", hogar_text.as_str()),
        ("direccion", "Calle Alfonso I 5"),
        ("codigo_postal", "50003"),
        ("poblacion", "Zaragoza"),
        ("superficie", "70"),
        ("anio_construccion", "1975"),
        ("horario", "manana"),
    ];
    let refused = app
        .post_form("/portal/presupuestos/solicitar", &fields)
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(count_leads(&mut conn, world.a.customer_id), 0);

    let csrf = app.csrf_token("/portal/presupuestos/solicitar").await;
    fields.push(("csrf_token", csrf.as_str()));
    let created = app
        .post_form("/portal/presupuestos/solicitar", &fields)
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    // A lead of B's, from elsewhere.
    diesel::insert_into(leads::table)
        .values((
            leads::full_name.eq("Prueba, NombreB"),
            leads::email.eq(&world.b.email),
            leads::source.eq("portal"),
            leads::customer_id.eq(world.b.customer_id),
            leads::notes.eq("nota interna"),
        ))
        .execute(&mut conn)
        .unwrap();

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count = |conn: &mut PgConnection, sql: &str| {
        diesel::sql_query(sql)
            .get_result::<Count>(conn)
            .map(|c| c.n)
    };
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        soriano::db::enter_portal_role(conn, world.a.customer_id)?;
        assert_eq!(count(conn, "SELECT count(*) AS n FROM leads")?, 1);
        assert_eq!(
            count(conn, "SELECT count(*) AS n FROM lead_submissions")?,
            1
        );
        Ok(())
    })
    .unwrap();
    // The agent's notes are not readable under the portal role at all.
    let denied = conn.transaction::<_, diesel::result::Error, _>(|conn| {
        soriano::db::enter_portal_role(conn, world.a.customer_id)?;
        count(conn, "SELECT count(notes) AS n FROM leads")?;
        Ok(())
    });
    assert!(denied.is_err());
    app.stop().await;
}

#[actix_web::test]
async fn the_first_demo_client_has_a_sent_quote_with_two_options_to_accept() {
    let app = common::TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
        // Idempotent: a second run adds no second demo quote.
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let signed = portal_sign_in(
        &app,
        soriano::seed::DEMO_CLIENT_EMAILS[0],
        soriano::seed::DEMO_ADMIN_PASSWORD,
    )
    .await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let (_, home) = page(&app, "/portal/inicio").await;
    assert!(home.contains("id=\"presupuestos-pendientes\""), "{home}");
    let (_, list) = page(&app, "/portal/presupuestos").await;
    let re = regex::Regex::new(r#"href="/portal/presupuestos/(\d+)""#).unwrap();
    let ids: Vec<String> = re.captures_iter(&list).map(|c| c[1].to_owned()).collect();
    let mut best = 0;
    for id in &ids {
        let (_, detail) = page(&app, &format!("/portal/presupuestos/{id}")).await;
        best = best.max(detail.matches("Aceptar esta opción (").count());
    }
    assert!(best >= 2, "a sent quote with two options to accept: {list}");
    let demo_quotes: i64 = quotes::table
        .filter(quotes::notes.eq(soriano::seed::DEMO_PORTAL_QUOTE_NOTE))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert!(demo_quotes <= 1);
    app.stop().await;
}
