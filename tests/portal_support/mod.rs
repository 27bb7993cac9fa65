//! Fixtures of the e-SORI tests: two clients of one agent, each with a policy, a claim and
//! documents, so that every test can check that client A never reaches client B's records.

#![allow(dead_code)]

use chrono::{Duration, Utc};
use diesel::prelude::*;
use soriano::auth::staff::Role;
use soriano::db::schema::{
    claim_events, claims, client_users, customers, document_blobs, documents, policies, products,
};

use crate::common::{self, TestApp};

pub const PASSWORD: &str = "una frase larga de prueba";
pub const AGENT: &str = "agente@soriano.es";

/// The rows of one client.
#[derive(Debug, Clone)]
pub struct Client {
    pub customer_id: i64,
    pub email: String,
    pub tax_id: String,
    pub policy_id: i64,
    pub policy_number: String,
    pub claim_id: i64,
    pub claim_number: String,
    /// Marked visible to the client.
    pub document_id: i64,
    /// Staff only.
    pub hidden_document_id: i64,
}

#[derive(Debug, Clone)]
pub struct World {
    pub agent_id: i64,
    pub a: Client,
    pub b: Client,
}

fn customer(conn: &mut PgConnection, tag: &str, tax_id: &str, owner: i64) -> Client {
    let email = format!("cliente.{tag}@example.es");
    let customer_id: i64 = diesel::insert_into(customers::table)
        .values((
            customers::kind.eq("person"),
            customers::tax_id.eq(tax_id),
            customers::given_name.eq(format!("Nombre{}", tag.to_uppercase())),
            customers::family_name.eq("Prueba"),
            customers::display_name.eq(format!("Prueba, Nombre{}", tag.to_uppercase())),
            customers::email.eq(&email),
            customers::owner_staff_id.eq(owner),
        ))
        .returning(customers::id)
        .get_result(conn)
        .unwrap();
    let (product, carrier, line): (i64, i64, i64) = products::table
        .select((products::id, products::carrier_id, products::line_id))
        .first(conn)
        .unwrap();
    let today = Utc::now().date_naive();
    let policy_number = format!("POL-{}-0001", tag.to_uppercase());
    let policy_id: i64 = diesel::insert_into(policies::table)
        .values((
            policies::customer_id.eq(customer_id),
            policies::carrier_id.eq(carrier),
            policies::product_id.eq(product),
            policies::line_id.eq(line),
            policies::number.eq(&policy_number),
            policies::start_date.eq(today - Duration::days(100)),
            policies::end_date.eq(today + Duration::days(265)),
            policies::net_premium_cents.eq(30000),
            policies::total_premium_cents.eq(32400),
            policies::payment_frequency.eq("annual"),
        ))
        .returning(policies::id)
        .get_result(conn)
        .unwrap();
    let claim_number = format!("SIN-2026-{}", if tag == "a" { "000101" } else { "000202" });
    let claim_id: i64 = diesel::insert_into(claims::table)
        .values((
            claims::number.eq(&claim_number),
            claims::policy_id.eq(policy_id),
            claims::customer_id.eq(customer_id),
            claims::incident_date.eq(today - Duration::days(3)),
            claims::kind.eq("colisión"),
            claims::description.eq(format!("Golpe del cliente {tag}")),
        ))
        .returning(claims::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(claim_events::table)
        .values((
            claim_events::claim_id.eq(claim_id),
            claim_events::to_status.eq("open"),
            claim_events::note.eq("Siniestro abierto."),
            claim_events::visible_to_client.eq(true),
        ))
        .execute(conn)
        .unwrap();
    let document = |conn: &mut PgConnection, name: &str, visible: bool| -> i64 {
        let bytes = format!("%PDF-1.4 documento {name}").into_bytes();
        let id: i64 = diesel::insert_into(documents::table)
            .values((
                documents::entity_type.eq("policy"),
                documents::entity_id.eq(policy_id),
                documents::customer_id.eq(customer_id),
                documents::filename.eq(name),
                documents::content_type.eq("application/pdf"),
                documents::size_bytes.eq(bytes.len() as i64),
                documents::sha256.eq(soriano::util::sha256_hex(&bytes)),
                documents::visible_to_client.eq(visible),
            ))
            .returning(documents::id)
            .get_result(conn)
            .unwrap();
        diesel::insert_into(document_blobs::table)
            .values((
                document_blobs::document_id.eq(id),
                document_blobs::bytes.eq(bytes),
            ))
            .execute(conn)
            .unwrap();
        id
    };
    let document_id = document(conn, &format!("condiciones-{tag}.pdf"), true);
    let hidden_document_id = document(conn, &format!("interno-{tag}.pdf"), false);
    Client {
        customer_id,
        email,
        tax_id: tax_id.to_owned(),
        policy_id,
        policy_number,
        claim_id,
        claim_number,
        document_id,
        hidden_document_id,
    }
}

/// Gives `client` a usable e-SORI account (password chosen, address confirmed).
pub fn open_account(conn: &mut PgConnection, client: &Client) -> i64 {
    let hash = soriano::auth::password::hash(PASSWORD).unwrap();
    diesel::insert_into(client_users::table)
        .values((
            client_users::customer_id.eq(client.customer_id),
            client_users::email.eq(&client.email),
            client_users::password_hash.eq(hash),
            client_users::email_confirmed_at.eq(Utc::now()),
        ))
        .returning(client_users::id)
        .get_result(conn)
        .unwrap()
}

/// The catalogue, an agent, and clients A and B (both owned by the agent), without accounts.
pub fn world(conn: &mut PgConnection) -> World {
    soriano::seed::catalog(conn).unwrap();
    let agent_id = common::create_staff(conn, AGENT, Role::Agent, PASSWORD);
    let a = customer(conn, "a", "12345678Z", agent_id);
    let b = customer(conn, "b", "X1234567L", agent_id);
    World { agent_id, a, b }
}

/// Starts the app over [`world`], with accounts for A and B when `accounts`.
pub async fn spawn(accounts: bool) -> (TestApp, World) {
    let mut found = None;
    let app = TestApp::spawn_with(|conn| {
        let world = world(conn);
        if accounts {
            open_account(conn, &world.a);
            open_account(conn, &world.b);
        }
        found = Some(world);
    })
    .await;
    (app, found.unwrap())
}

/// Signs `email` in to e-SORI; returns the final response (303 on success).
pub async fn portal_sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    let token = app.csrf_token("/portal/entrar").await;
    app.post_form(
        "/portal/entrar",
        &[
            ("csrf_token", &token),
            ("email", email),
            ("password", password),
        ],
    )
    .await
}

/// The link of the newest outbox e-mail of `kind` to `to`.
pub fn emailed_link(conn: &mut PgConnection, kind: &str, to: &str) -> Option<String> {
    use soriano::db::schema::outbound_emails;
    let body: Option<String> = outbound_emails::table
        .filter(outbound_emails::kind.eq(kind))
        .filter(outbound_emails::to_address.eq(to))
        .order(outbound_emails::id.desc())
        .select(outbound_emails::body_text)
        .first(conn)
        .optional()
        .unwrap();
    let re = regex::Regex::new(r"https?://\S+/portal/contrasena/[A-Za-z0-9_-]+").unwrap();
    body.and_then(|b| re.find(&b).map(|m| m.as_str().to_owned()))
}

/// The path of an absolute link of this app.
pub fn path_of(link: &str) -> String {
    let url = url::Url::parse(link).unwrap();
    url.path().to_owned()
}

/// A home quote for `client` with two options (different carriers), made by `agent_id` and
/// sent unless `send` is false (a draft). Returns the quote and its option ids in order.
pub fn home_quote(
    conn: &mut PgConnection,
    client: &Client,
    agent_id: i64,
    send: bool,
) -> (i64, Vec<i64>) {
    use soriano::auth::permissions::PortfolioScope;
    use soriano::db::schema::{lines_of_business, quote_options};
    use soriano::policies::{Home, Risk};
    use soriano::quotes::{Actor, NewOption, NewQuote};

    let offers: Vec<(i64, i64, i64)> = products::table
        .inner_join(lines_of_business::table)
        .filter(lines_of_business::code.eq("hogar"))
        .order(products::id)
        .select((products::id, products::carrier_id, products::line_id))
        .load(conn)
        .unwrap();
    let mut picked: Vec<(i64, i64, i64)> = Vec::new();
    for offer in offers {
        if picked.iter().all(|p| p.1 != offer.1) {
            picked.push(offer);
        }
    }
    assert!(picked.len() >= 2, "two home products of different carriers");
    let options = picked[..2]
        .iter()
        .zip([(30_000, 33_600), (27_000, 30_240)])
        .map(|((product, carrier, _), (net, total))| NewOption {
            carrier_id: *carrier,
            product_id: Some(*product),
            coverage_level: String::new(),
            coverage_summary: "Continente, contenido y responsabilidad civil.".to_owned(),
            net_premium_cents: net,
            total_premium_cents: total,
            breakdown: None,
            tariff_version_id: None,
        })
        .collect();
    let today = soriano::policies::today();
    let new = NewQuote {
        customer_id: Some(client.customer_id),
        lead_id: None,
        prospect: None,
        line_id: picked[0].2,
        risk: Risk::Home(Home {
            address_line: "Calle Mayor 1".to_owned(),
            postcode: "50001".to_owned(),
            city: "Zaragoza".to_owned(),
            built_area_m2: 90,
            year_built: 2001,
        }),
        valid_until: today + chrono::Days::new(30),
        notes: String::new(),
        source: "backoffice",
        agent_staff_id: Some(agent_id),
        created_by_staff_id: Some(agent_id),
    };
    let agent = soriano::auth::staff::find_active(conn, agent_id)
        .unwrap()
        .expect("the agent");
    let by = Actor::new(&agent, "", "");
    let quote = soriano::quotes::create(conn, new, options, &by).unwrap();
    if send {
        soriano::quotes::send(conn, PortfolioScope::All, quote.id, today, &by).unwrap();
    }
    let ids = quote_options::table
        .filter(quote_options::quote_id.eq(quote.id))
        .order((quote_options::position, quote_options::id))
        .select(quote_options::id)
        .load(conn)
        .unwrap();
    (quote.id, ids)
}
