//! Blocking (LOPDGDD art. 32): an attended erasure request seals the customer's identifying
//! data away from every page, list, search and export; only the legal-hold role reads them,
//! and the nightly purge destroys them when their legal period ends.

use crate::common;
use crate::portal_support;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use portal_support::{AGENT, PASSWORD, portal_sign_in, spawn};
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{audit_log, blocked_customer_data, customers};
use soriano::privacy_requests::{self as requests, Channel, NewRequest, Right};

const DPO: &str = "dpo@soriano.es";

#[actix_web::test]
async fn an_attended_erasure_blocks_the_data_everywhere_but_the_legal_hold() {
    let (app, world) = spawn(true).await;
    let (a, b) = (&world.a, &world.b);
    let request = {
        let mut conn = app.db.conn();
        common::create_staff(&mut conn, DPO, Role::Compliance, PASSWORD);
        common::create_staff(&mut conn, "admin@soriano.es", Role::Admin, PASSWORD);
        // Some notes about the customer that must not survive on the record either.
        diesel::update(customers::table.find(a.customer_id))
            .set((
                customers::phone.eq("612345678"),
                customers::notes.eq("Prefiere que le llamen por la tarde"),
            ))
            .execute(&mut conn)
            .unwrap();
        requests::register(
            &mut conn,
            &NewRequest {
                customer_id: Some(a.customer_id),
                requester_name: "Prueba, NombreA".into(),
                kind: Right::Erasure,
                channel: Channel::Letter,
                details: "Borren mis datos.".into(),
                received_on: soriano::policies::today(),
            },
            None,
        )
        .unwrap()
    };

    // The data-protection officer attends it.
    app.sign_in(DPO, PASSWORD).await;
    let path = format!("/admin/privacidad/solicitudes/{request}");
    let csrf = common::csrf_from_html(&app.get(&path).await.text().await.unwrap());
    let closed = app
        .post_form(
            &format!("{path}/cerrar"),
            &[
                ("csrf_token", csrf.as_str()),
                ("resultado", "done"),
                ("respuesta", "Datos bloqueados durante los plazos legales."),
            ],
        )
        .await;
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);

    // Everyone else, even an administrator, finds no trace of the person.
    let (admin, status) = app.sign_in_elsewhere("admin@soriano.es", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let traces = [
        "NombreA",
        a.tax_id.as_str(),
        a.email.as_str(),
        "612 345 678",
        "612345678",
        "Prefiere que le llamen",
    ];
    let pages = [
        "/admin/".to_owned(),
        "/admin/clientes".to_owned(),
        "/admin/clientes?q=NombreA".to_owned(),
        format!("/admin/clientes?q={}", a.tax_id),
        "/admin/buscar?q=NombreA".to_owned(),
        format!("/admin/buscar?q={}", a.tax_id),
        format!("/admin/buscar?q={}", a.email),
        format!("/admin/clientes/{}", a.customer_id),
        "/admin/polizas".to_owned(),
        format!("/admin/polizas/{}", a.policy_id),
        "/admin/siniestros".to_owned(),
        format!("/admin/siniestros/{}", a.claim_id),
        "/admin/recibos".to_owned(),
        "/admin/presupuestos".to_owned(),
        "/admin/tareas".to_owned(),
        "/admin/clientes/exportar?formato=csv".to_owned(),
        "/admin/polizas/exportar?formato=csv".to_owned(),
        "/admin/siniestros/exportar?formato=csv".to_owned(),
        "/admin/recibos/exportar?formato=csv".to_owned(),
    ];
    let mut seen_b = false;
    for page in &pages {
        let response = admin.get(app.url(page)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{page}");
        let body = response.text().await.unwrap();
        // A search page repeats what was typed; that echo is not a trace.
        let typed = page.split_once("q=").map(|(_, q)| q).unwrap_or("");
        for trace in traces.iter().filter(|t| **t != typed) {
            assert!(!body.contains(trace), "{page} shows {trace}");
        }
        if !typed.is_empty() {
            assert!(
                !body.contains(&format!("/admin/clientes/{}\"", a.customer_id)),
                "{page} finds the blocked customer"
            );
        }
        seen_b |= body.contains("NombreB");
    }
    assert!(seen_b, "the other customer is still listed");
    let notice = admin
        .get(app.url(&format!("/admin/clientes/{}", a.customer_id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notice.contains("Datos bloqueados."), "{notice}");
    let edit = admin
        .get(app.url(&format!("/admin/clientes/{}/editar", a.customer_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), StatusCode::NOT_FOUND);
    // Their papers are sealed too.
    let download = admin
        .get(app.url(&format!("/admin/documentos/{}/descargar", a.document_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::NOT_FOUND);
    let sealed_page = admin
        .get(app.url(&format!("/admin/privacidad/bloqueados/{}", a.customer_id)))
        .send()
        .await
        .unwrap()
        .status();
    assert!(
        sealed_page == StatusCode::FORBIDDEN || sealed_page == StatusCode::NOT_FOUND,
        "{sealed_page}"
    );

    // The client's e-SORI account is closed.
    let client = common::new_client();
    let login = client.get(app.url("/portal/entrar")).send().await.unwrap();
    let csrf = common::csrf_from_html(&login.text().await.unwrap());
    let signed = client
        .post(app.url("/portal/entrar"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", a.email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(
        signed
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok()),
        Some("/portal/inicio")
    );
    assert_eq!(
        portal_sign_in(&app, &b.email, PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "another client still signs in"
    );

    // The legal-hold role reads the sealed copy, and that reading is recorded.
    let register = app
        .get("/admin/privacidad/bloqueados")
        .await
        .text()
        .await
        .unwrap();
    assert!(register.contains("Prueba, NombreA"), "{register}");
    let sealed = app
        .get(&format!("/admin/privacidad/bloqueados/{}", a.customer_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(sealed.contains(&a.tax_id));
    assert!(sealed.contains(&a.email));
    assert!(sealed.contains("Prefiere que le llamen por la tarde"));
    let mut conn = app.db.conn();
    let viewed: i64 = audit_log::table
        .filter(audit_log::action.eq("privacy.blocked_viewed"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(viewed, 1);

    // An agent cannot reach it either.
    let (agent, _) = app.sign_in_elsewhere(AGENT, PASSWORD).await;
    let refused = agent
        .get(app.url("/admin/privacidad/bloqueados"))
        .send()
        .await
        .unwrap()
        .status();
    assert!(
        refused == StatusCode::FORBIDDEN || refused == StatusCode::NOT_FOUND,
        "{refused}"
    );

    // At the end of the legal period the nightly purge destroys the sealed copy.
    let kept = soriano::retention::purge::purge(&mut conn, Utc::now()).unwrap();
    assert_eq!(
        kept.removed
            .get(soriano::retention::purge::BLOCKED_DESTROYED),
        Some(&0)
    );
    diesel::update(blocked_customer_data::table.find(a.customer_id))
        .set(
            blocked_customer_data::blocked_until.eq(soriano::policies::today() - Duration::days(1)),
        )
        .execute(&mut conn)
        .unwrap();
    let report = soriano::retention::purge::purge(&mut conn, Utc::now()).unwrap();
    assert_eq!(
        report
            .removed
            .get(soriano::retention::purge::BLOCKED_DESTROYED),
        Some(&1)
    );
    let left: i64 = blocked_customer_data::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(
        app.get(&format!("/admin/privacidad/bloqueados/{}", a.customer_id))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
