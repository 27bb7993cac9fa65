//! The access log: a view of a customer's record, a document download and an export by staff
//! each leave an entry (who, what, when, from where); the data-protection roles read them by
//! customer and by staff member, sales roles cannot; a client reads in e-SORI who looked at
//! their own data, never at anyone else's; the retention schedule purges old entries.

use crate::common;
use crate::portal_support;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use portal_support::{AGENT, PASSWORD, portal_sign_in, spawn};
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::access_log;
use soriano::retention::{Category, purge};

type Logged = (Option<i64>, String, String, String);

fn entries(conn: &mut PgConnection) -> Vec<Logged> {
    access_log::table
        .order(access_log::id)
        .select((
            access_log::customer_id,
            access_log::action,
            access_log::subject,
            access_log::ip,
        ))
        .load(conn)
        .unwrap()
}

#[actix_web::test]
async fn staff_views_downloads_and_exports_are_logged_and_read_by_compliance_only() {
    let (app, world) = spawn(true).await;
    let (a, b) = (&world.a, &world.b);
    {
        let mut conn = app.db.conn();
        common::create_staff(&mut conn, "dpo@soriano.es", Role::Compliance, PASSWORD);
    }
    let (agent, status) = app.sign_in_elsewhere(AGENT, PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let get = |path: String| {
        let agent = agent.clone();
        let url = app.url(&path);
        async move { agent.get(url).send().await.unwrap() }
    };
    assert_eq!(
        get(format!("/admin/clientes/{}", a.customer_id))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        get(format!("/admin/documentos/{}/descargar", a.document_id))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        get("/admin/clientes/exportar?formato=csv".to_owned())
            .await
            .status(),
        StatusCode::OK
    );
    // A policy and a claim are the holder's data too.
    assert_eq!(
        get(format!("/admin/polizas/{}", a.policy_id))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        get(format!("/admin/siniestros/{}", a.claim_id))
            .await
            .status(),
        StatusCode::OK
    );
    // A quote shows the client's data too: its page and its printable version.
    let quote = {
        let mut conn = app.db.conn();
        portal_support::home_quote(&mut conn, a, world.agent_id, true).0
    };
    for path in [
        format!("/admin/presupuestos/{quote}"),
        format!("/admin/presupuestos/{quote}/imprimir"),
    ] {
        assert_eq!(get(path).await.status(), StatusCode::OK);
    }
    // The agent cannot read the log.
    let refused = get("/admin/privacidad/accesos".to_owned()).await.status();
    assert!(
        refused == StatusCode::FORBIDDEN || refused == StatusCode::NOT_FOUND,
        "{refused}"
    );

    let mut conn = app.db.conn();
    let logged = entries(&mut conn);
    assert_eq!(logged.len(), 7, "{logged:?}");
    let number: String = soriano::db::schema::quotes::table
        .find(quote)
        .select(soriano::db::schema::quotes::number)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        (logged[5].0, logged[5].2.clone()),
        (Some(a.customer_id), format!("Presupuesto {number}"))
    );
    assert_eq!(
        logged[6].2,
        format!("Presupuesto {number} (versión para imprimir)")
    );
    assert_eq!(logged[3].0, Some(a.customer_id));
    assert_eq!(logged[3].2, format!("Póliza {}", a.policy_number));
    assert_eq!(logged[4].2, format!("Siniestro {}", a.claim_number));
    assert_eq!(
        (logged[0].0, logged[0].1.as_str()),
        (Some(a.customer_id), "customer_viewed")
    );
    assert_eq!(
        (logged[1].0, logged[1].1.as_str()),
        (Some(a.customer_id), "document_downloaded")
    );
    assert_eq!(logged[1].2, "condiciones-a.pdf");
    assert_eq!((logged[2].0, logged[2].1.as_str()), (None, "exported"));
    assert!(logged[2].2.contains("CSV"), "{}", logged[2].2);
    assert!(!logged[0].3.is_empty(), "from where");

    // The data-protection officer reads them by customer and by staff member.
    app.sign_in("dpo@soriano.es", PASSWORD).await;
    let by_customer = app
        .get(&format!(
            "/admin/privacidad/accesos?cliente={}",
            a.customer_id
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(by_customer.contains("Consulta de la ficha"));
    assert!(by_customer.contains("Descarga de un documento"));
    assert!(
        !by_customer.contains("Exportación de un listado"),
        "a list export is about no single customer"
    );
    let of_b = app
        .get(&format!(
            "/admin/privacidad/accesos?cliente={}",
            b.customer_id
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(of_b.contains("No hay accesos con estos filtros."));
    let by_staff = app
        .get(&format!(
            "/admin/privacidad/accesos?empleado={}",
            world.agent_id
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(by_staff.contains("Exportación de un listado"));
    assert!(by_staff.contains("Consulta de la ficha"));
}

#[actix_web::test]
async fn a_client_reads_who_looked_at_their_data_and_only_theirs() {
    let (app, world) = spawn(true).await;
    let (a, b) = (&world.a, &world.b);
    let (agent, _) = app.sign_in_elsewhere(AGENT, PASSWORD).await;
    for customer in [a.customer_id, b.customer_id] {
        agent
            .get(app.url(&format!("/admin/clientes/{customer}")))
            .send()
            .await
            .unwrap();
    }
    agent
        .get(app.url(&format!("/admin/documentos/{}/descargar", b.document_id)))
        .send()
        .await
        .unwrap();

    portal_sign_in(&app, &a.email, PASSWORD).await;
    let page = app.get("/portal/datos/consultas").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Consulta de la ficha"));
    assert!(html.contains("Persona de Prueba"), "who, by name: {html}");
    assert!(
        !html.contains("Descarga de un documento"),
        "B's download is not A's business"
    );
    assert!(
        !html.contains("127.0.0.1"),
        "the staff's address is not shown"
    );
    assert_eq!(html.matches("Consulta de la ficha").count(), 1);
}

#[test]
fn the_retention_schedule_purges_old_entries() {
    let db = common::TestDatabase::new();
    let mut conn = db.conn();
    let staff = common::create_staff(&mut conn, "x@soriano.es", Role::Agent, PASSWORD);
    let now = Utc::now();
    for at in [now - Duration::days(800), now - Duration::days(10)] {
        diesel::insert_into(access_log::table)
            .values((
                access_log::staff_id.eq(staff),
                access_log::action.eq("exported"),
                access_log::subject.eq("clientes (3 filas, CSV)"),
                access_log::at.eq(at),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let removed =
        purge::purge_category(&mut conn, Category::AccessLog, now - Duration::days(730)).unwrap();
    assert_eq!(removed, 1);
    assert_eq!(entries(&mut conn).len(), 1);
}
