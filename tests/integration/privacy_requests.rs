//! The register of rights requests: a client exercises a right in e-SORI (an erasure too)
//! and it is registered with its month; the data-protection roles register one from a letter
//! (linked by NIF), extend it once, and close it with the answer the client then reads; sales
//! roles cannot reach the register.

use crate::common;
use crate::portal_support;

use chrono::NaiveDate;
use diesel::prelude::*;
use portal_support::{AGENT, PASSWORD, portal_sign_in, spawn};
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::privacy_requests;
use soriano::privacy_requests::due_on;

type Registered = (Option<i64>, String, String, NaiveDate, NaiveDate, String);

fn registered(conn: &mut PgConnection) -> Vec<Registered> {
    privacy_requests::table
        .order(privacy_requests::id)
        .select((
            privacy_requests::customer_id,
            privacy_requests::kind,
            privacy_requests::channel,
            privacy_requests::received_on,
            privacy_requests::due_on,
            privacy_requests::status,
        ))
        .load(conn)
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_client_exercises_rights_in_e_sori_and_reads_the_answer() {
    let (app, world) = spawn(true).await;
    let a = &world.a;
    {
        let mut conn = app.db.conn();
        common::create_staff(&mut conn, "dpo@soriano.es", Role::Compliance, PASSWORD);
    }
    portal_sign_in(&app, &a.email, PASSWORD).await;
    let csrf = app.csrf_token("/portal/datos").await;
    let wrong = app
        .post_form(
            "/portal/datos/solicitudes",
            &[
                ("csrf_token", &csrf),
                ("derecho", ""),
                ("detalle", "Mi apellido"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = wrong.text().await.unwrap();
    assert!(html.contains("Elija el derecho que quiere ejercer."));
    assert!(html.contains("Mi apellido"), "what was typed is kept");
    let sent = app
        .post_form(
            "/portal/datos/solicitudes",
            &[
                ("csrf_token", &csrf),
                ("derecho", "rectification"),
                ("detalle", "Mi segundo apellido está mal escrito."),
            ],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let erasure = app
        .post_form("/portal/datos/supresion", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(erasure.status(), StatusCode::SEE_OTHER);

    let mut conn = app.db.conn();
    let today = soriano::time::today();
    let rows = registered(&mut conn);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[0],
        (
            Some(a.customer_id),
            "rectification".to_owned(),
            "portal".to_owned(),
            today,
            due_on(today),
            "open".to_owned()
        )
    );
    assert_eq!(rows[1].1, "erasure");
    let page = app.get("/portal/datos").await.text().await.unwrap();
    assert!(page.contains("Rectificación"));
    assert!(page.contains("Supresión"));
    assert!(page.contains(&soriano::format::date(due_on(today))));

    // The officer answers; the client reads the answer.
    let id: i64 = privacy_requests::table
        .filter(privacy_requests::kind.eq("rectification"))
        .select(privacy_requests::id)
        .first(&mut conn)
        .unwrap();
    let (officer, _) = app.sign_in_elsewhere("dpo@soriano.es", PASSWORD).await;
    let detail = officer
        .get(app.url(&format!("/admin/privacidad/solicitudes/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let officer_csrf = common::csrf_from_html(&detail);
    let closed = officer
        .post(app.url(&format!("/admin/privacidad/solicitudes/{id}/cerrar")))
        .form(&[
            ("csrf_token", officer_csrf.as_str()),
            ("resultado", "done"),
            ("respuesta", "Corregido el segundo apellido en su ficha."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
    let page = app.get("/portal/datos").await.text().await.unwrap();
    assert!(page.contains("Corregido el segundo apellido en su ficha."));
    assert!(page.contains("Atendida"));
}

#[actix_web::test]
async fn the_officer_registers_extends_and_closes_and_sales_cannot() {
    let (app, world) = spawn(false).await;
    {
        let mut conn = app.db.conn();
        common::create_staff(&mut conn, "dpo@soriano.es", Role::Compliance, PASSWORD);
    }
    let (agent, _) = app.sign_in_elsewhere(AGENT, PASSWORD).await;
    let refused = agent
        .get(app.url("/admin/privacidad/solicitudes"))
        .send()
        .await
        .unwrap()
        .status();
    assert!(
        refused == StatusCode::FORBIDDEN || refused == StatusCode::NOT_FOUND,
        "{refused}"
    );

    app.sign_in("dpo@soriano.es", PASSWORD).await;
    let csrf = app.csrf_token("/admin/privacidad/solicitudes/nueva").await;
    let received = soriano::time::today() - chrono::Duration::days(3);
    let received_text = received.format("%Y-%m-%d").to_string();
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("nombre", "Ana Prueba"),
        ("nif", "00000000T"),
        ("derecho", "access"),
        ("canal", "letter"),
        ("recibida", received_text.as_str()),
        ("detalle", "Carta pidiendo copia de sus datos."),
    ];
    let unknown = app
        .post_form("/admin/privacidad/solicitudes", &fields)
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("No hay ningún cliente con ese NIF")
    );
    fields[2].1 = world.a.tax_id.as_str();
    let created = app
        .post_form("/admin/privacidad/solicitudes", &fields)
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let page = location(&created);

    let mut conn = app.db.conn();
    let rows = registered(&mut conn);
    assert_eq!(rows[0].0, Some(world.a.customer_id), "linked by NIF");
    assert_eq!(rows[0].4, due_on(received), "a month from receipt");

    // Extended once by two months; a second time is refused.
    app.post_form(&format!("{page}/ampliar"), &[("csrf_token", &csrf)])
        .await;
    let due: NaiveDate = privacy_requests::table
        .select(privacy_requests::due_on)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        due,
        due_on(received)
            .checked_add_months(chrono::Months::new(2))
            .unwrap()
    );
    app.post_form(&format!("{page}/ampliar"), &[("csrf_token", &csrf)])
        .await;
    let html = app.get(&page).await.text().await.unwrap();
    assert!(html.contains("ya no admite ese cambio"), "{html}");
    assert!(html.contains("(ampliado)"));

    let short = app
        .post_form(
            &format!("{page}/cerrar"),
            &[
                ("csrf_token", &csrf),
                ("resultado", ""),
                ("respuesta", "ok"),
            ],
        )
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = short.text().await.unwrap();
    assert!(html.contains("Elija si se atendió o se denegó."));
    let closed = app
        .post_form(
            &format!("{page}/cerrar"),
            &[
                ("csrf_token", &csrf),
                ("resultado", "refused"),
                (
                    "respuesta",
                    "No se pudo comprobar la identidad de quien escribe.",
                ),
            ],
        )
        .await;
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
    assert_eq!(registered(&mut conn)[0].5, "refused");
    let list = app
        .get("/admin/privacidad/solicitudes")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("No hay solicitudes en esta lista."),
        "closed leave the pending list"
    );
}
