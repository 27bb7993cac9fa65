//! e-SORI access: invitation, registration (good and bad matches), sign-in, throttling,
//! password reset, and the separation of client and staff sessions.

use crate::common;
use crate::portal_support;

use diesel::prelude::*;
use portal_support::{AGENT, PASSWORD, emailed_link, path_of, portal_sign_in, spawn};
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{audit_log, client_sign_ins, client_users, outbound_emails};

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Chooses `password` through the e-mailed link at `link`.
async fn choose_password(app: &common::TestApp, link: &str, password: &str) -> reqwest::Response {
    let path = path_of(link);
    let token = app.csrf_token(&path).await;
    app.post_form(
        &path,
        &[
            ("csrf_token", &token),
            ("nueva", password),
            ("repetida", password),
        ],
    )
    .await
}

#[actix_web::test]
async fn staff_invite_a_customer_who_chooses_a_password_and_signs_in() {
    let (app, world) = spawn(false).await;
    let staff = app.sign_in(AGENT, PASSWORD).await;
    assert_eq!(staff.status(), StatusCode::SEE_OTHER);

    let path = format!("/admin/clientes/{}/invitar-portal", world.a.customer_id);
    let token = app
        .csrf_token(&format!("/admin/clientes/{}", world.a.customer_id))
        .await;
    let response = app.post_form(&path, &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let mut conn = app.db.conn();
    let link = emailed_link(&mut conn, "client.invitation", &world.a.email)
        .expect("the invitation e-mail carries a link");
    let invited: i64 = audit_log::table
        .filter(audit_log::action.eq("client.invited"))
        .filter(audit_log::target_id.eq(world.a.customer_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(invited, 1);

    // Before the password is chosen, nobody can sign in.
    // The same browser (cookie jar) goes on as the client: the staff cookie lives on /admin.
    let client = app;
    let early = portal_sign_in(&client, &world.a.email, "una frase larga elegida").await;
    assert_eq!(early.status(), StatusCode::UNAUTHORIZED);

    let form = client.get(&path_of(&link)).await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(
        form.text()
            .await
            .unwrap()
            .contains("Le damos la bienvenida a e-SORI")
    );

    // The password rules are the staff ones.
    let weak = choose_password(&client, &link, "corta").await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        weak.text()
            .await
            .unwrap()
            .contains("al menos 12 caracteres")
    );

    let done = choose_password(&client, &link, "una frase larga elegida").await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/portal/entrar");

    // Single use.
    let again = client.get(&path_of(&link)).await;
    assert_eq!(again.status(), StatusCode::GONE);

    let signed = portal_sign_in(&client, &world.a.email, "una frase larga elegida").await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed), "/portal/inicio");
    let home = client.get("/portal/inicio").await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await.unwrap().contains(&world.a.policy_number));
    let sign_ins: i64 = client_sign_ins::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(sign_ins, 1);
    client.stop().await;
}

#[actix_web::test]
async fn agents_cannot_invite_customers_of_other_agents() {
    let (app, world) = spawn(false).await;
    {
        let mut conn = app.db.conn();
        common::create_staff(&mut conn, "otro@soriano.es", Role::Agent, PASSWORD);
    }
    app.sign_in("otro@soriano.es", PASSWORD).await;
    let token = app.csrf_token("/admin").await;
    let response = app
        .post_form(
            &format!("/admin/clientes/{}/invitar-portal", world.a.customer_id),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let mut conn = app.db.conn();
    let accounts: i64 = client_users::table.count().get_result(&mut conn).unwrap();
    assert_eq!(accounts, 0);
    app.stop().await;
}

async fn register(
    app: &common::TestApp,
    dni: &str,
    policy: &str,
    email: &str,
) -> reqwest::Response {
    let token = app.csrf_token("/portal/registro").await;
    app.post_form(
        "/portal/registro",
        &[
            ("csrf_token", &token),
            ("dni", dni),
            ("poliza", policy),
            ("email", email),
        ],
    )
    .await
}

#[actix_web::test]
async fn registration_answers_the_same_whether_or_not_the_data_match() {
    let (app, world) = spawn(false).await;
    let a = &world.a;

    let bad_policy = register(&app, &a.tax_id, &world.b.policy_number, &a.email).await;
    assert_eq!(bad_policy.status(), StatusCode::OK);
    let bad_policy = bad_policy.text().await.unwrap();
    let bad_email = register(&app, &a.tax_id, &a.policy_number, "otro@example.es").await;
    let bad_email = bad_email.text().await.unwrap();
    let unknown_dni = register(&app, "00000000T", &a.policy_number, &a.email).await;
    let unknown_dni = unknown_dni.text().await.unwrap();
    let good = register(&app, &a.tax_id.to_lowercase(), &a.policy_number, &a.email).await;
    assert_eq!(good.status(), StatusCode::OK);
    let good = good.text().await.unwrap();
    // Same page, byte for byte: nothing tells a stranger which DNI or policy exists.
    assert_eq!(good, bad_policy);
    assert_eq!(good, bad_email);
    assert_eq!(good, unknown_dni);

    let mut conn = app.db.conn();
    let sent: Vec<String> = outbound_emails::table
        .filter(outbound_emails::kind.eq("client.registration"))
        .select(outbound_emails::to_address)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        sent,
        vec![a.email.clone()],
        "only the full match sends a link"
    );

    // Malformed input is answered next to the field, values kept.
    let malformed = register(&app, "1234", "", "no-es-correo").await;
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = malformed.text().await.unwrap();
    assert!(body.contains("id=\"dni-error\""));
    assert!(body.contains("id=\"poliza-error\""));
    assert!(body.contains("id=\"email-error\""));
    assert!(body.contains("value=\"1234\""));

    // The link confirms the address and sets the password.
    let link = emailed_link(&mut conn, "client.registration", &a.email).unwrap();
    let done = choose_password(&app, &link, "mi registro en el portal").await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let confirmed: Option<chrono::DateTime<chrono::Utc>> = client_users::table
        .filter(client_users::customer_id.eq(a.customer_id))
        .select(client_users::email_confirmed_at)
        .first(&mut conn)
        .unwrap();
    assert!(confirmed.is_some());
    let signed = portal_sign_in(&app, &a.email, "mi registro en el portal").await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn wrong_passwords_are_throttled() {
    let (app, world) = spawn(true).await;
    for _ in 0..5 {
        let wrong = portal_sign_in(&app, &world.a.email, "no es la contraseña").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert!(
            wrong
                .text()
                .await
                .unwrap()
                .contains("El correo o la contraseña no son correctos.")
        );
    }
    // Now even the right password waits.
    let throttled = portal_sign_in(&app, &world.a.email, PASSWORD).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    // An unknown address answers like a wrong password, and the other client is unaffected.
    let unknown = portal_sign_in(&app, "nadie@example.es", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let b = portal_sign_in(&app, &world.b.email, PASSWORD).await;
    assert_eq!(b.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn a_client_resets_a_forgotten_password() {
    let (app, world) = spawn(true).await;
    let token = app.csrf_token("/portal/recuperar").await;
    let unknown = app
        .post_form(
            "/portal/recuperar",
            &[("csrf_token", &token), ("email", "nadie@example.es")],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::OK);
    let known = app
        .post_form(
            "/portal/recuperar",
            &[("csrf_token", &token), ("email", &world.a.email)],
        )
        .await;
    assert_eq!(known.status(), StatusCode::OK);
    let mut conn = app.db.conn();
    assert!(emailed_link(&mut conn, "client.password_reset", "nadie@example.es").is_none());
    let link = emailed_link(&mut conn, "client.password_reset", &world.a.email).unwrap();
    let done = choose_password(&app, &link, "la nueva frase secreta").await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let old = portal_sign_in(&app, &world.a.email, PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = portal_sign_in(&app, &world.a.email, "la nueva frase secreta").await;
    assert_eq!(new.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn a_client_session_is_scoped_to_the_portal_and_never_opens_the_back_office() {
    let (app, world) = spawn(true).await;
    let anonymous = app.get("/portal/inicio").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert!(location(&anonymous).starts_with("/portal/entrar?siguiente="));

    let signed = portal_sign_in(&app, &world.a.email, PASSWORD).await;
    let cookie = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("sori_portal="))
        .expect("a portal session cookie")
        .to_owned();
    assert!(cookie.contains("Path=/portal"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");

    let home = app.get("/portal/inicio").await;
    assert_eq!(home.status(), StatusCode::OK);
    assert_eq!(
        home.headers().get("cache-control").unwrap(),
        "no-store",
        "personal pages are never cached"
    );
    assert!(home.text().await.unwrap().contains("hx-history=\"false\""));

    // The same browser holds a client session, and still is nobody in the back-office.
    let admin = app.get("/admin").await;
    assert_eq!(admin.status(), StatusCode::SEE_OTHER);
    assert!(location(&admin).starts_with("/admin/entrar"));
    // Even the portal cookie sent to /admin by hand opens nothing.
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .replacen("sori_portal=", "sori_admin=", 1);
    let forged = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/admin"))
        .header("cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::SEE_OTHER);

    // Signing out ends the session on the server.
    let token = app.csrf_token("/portal/inicio").await;
    let out = app
        .post_form("/portal/salir", &[("csrf_token", &token)])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/portal/inicio").await.status(),
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_burst_of_parallel_guesses_gets_only_the_free_failures_checked() {
    use soriano::auth::throttle::FREE_FAILURES;
    let (app, world) = spawn(true).await;
    let token = app.csrf_token("/portal/entrar").await;
    let guesses = (0..32).map(|i| {
        let request = app.client.post(app.url("/portal/entrar")).form(&[
            ("csrf_token", token.clone()),
            ("email", world.a.email.clone()),
            ("password", format!("no es la contraseña {i}")),
        ]);
        async move { request.send().await.unwrap().status() }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let waited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        (checked, waited),
        (FREE_FAILURES as usize, 32 - FREE_FAILURES as usize),
        "{statuses:?}"
    );
    let failures_audited: i64 = audit_log::table
        .filter(audit_log::action.eq("client.sign_in_failed"))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(failures_audited, FREE_FAILURES, "one per password checked");
    app.stop().await;
}

/// Posts an e-SORI sign-in from `client` as it arrives through the proxy from `ip`.
async fn portal_sign_in_from(
    app: &common::TestApp,
    client: &reqwest::Client,
    ip: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    // Signed in already, the sign-in page sends the browser on: any page has the token.
    let page = client.get(app.url("/portal/entrar")).send().await.unwrap();
    let page = if page.status().is_redirection() {
        client.get(app.url("/portal/inicio")).send().await.unwrap()
    } else {
        page
    };
    let token = common::csrf_from_html(&page.text().await.unwrap());
    client
        .post(app.url("/portal/entrar"))
        .header("X-Forwarded-For", ip)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn guesses_from_elsewhere_do_not_keep_a_client_out_of_a_known_browser() {
    use soriano::auth::throttle::FREE_FAILURES;
    const OWNER_IP: &str = "198.51.100.10";
    const ATTACKER_IP: &str = "203.0.113.66";
    let mut found = None;
    let app = common::TestApp::spawn_configured(&[("TRUST_PROXY", "true")], |conn| {
        let world = portal_support::world(conn);
        portal_support::open_account(conn, &world.a);
        portal_support::open_account(conn, &world.b);
        found = Some(world);
    })
    .await;
    let world = found.unwrap();
    let owner = common::new_client();
    let response = portal_sign_in_from(&app, &owner, OWNER_IP, &world.a.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sori_portal_device="))
        .expect("the browser is remembered");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Path=/portal"),
        "{cookie}"
    );

    // The attacker holds a device cookie too, of their own account (B): worth nothing for A.
    let attacker = common::new_client();
    let response =
        portal_sign_in_from(&app, &attacker, ATTACKER_IP, &world.b.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    for _ in 0..FREE_FAILURES {
        let response = portal_sign_in_from(
            &app,
            &attacker,
            ATTACKER_IP,
            &world.a.email,
            "a ver si es esta",
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response =
        portal_sign_in_from(&app, &attacker, ATTACKER_IP, &world.a.email, "y esta otra").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);

    // A, on her known browser, still gets in; without the cookie she would wait.
    let response = portal_sign_in_from(&app, &owner, OWNER_IP, &world.a.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let stranger = common::new_client();
    let response = portal_sign_in_from(&app, &stranger, OWNER_IP, &world.a.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}
