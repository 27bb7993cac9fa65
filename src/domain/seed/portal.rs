//! Demo e-SORI accounts: three demo customers with policies in force get a client account at a
//! fixed address (listed in the README) with the demo password, and a conversation with the
//! brokerage each.

use chrono::Utc;
use diesel::prelude::*;

use crate::db::schema::{claims, client_users, customers, policies, staff_users};

/// The demo client addresses, in the order the customers are picked.
pub const DEMO_CLIENT_EMAILS: [&str; 3] = [
    "cliente1@soriano.test",
    "cliente2@soriano.test",
    "cliente3@soriano.test",
];

const CONVERSATIONS: [(&str, &str, &str); 3] = [
    (
        "Duda sobre la renovación",
        "Buenos días: ¿la prima de la renovación sube este año? Gracias.",
        "Hola: la compañía mantiene la prima; le enviaremos el recibo como siempre.",
    ),
    (
        "Cambio de domicilio",
        "Me he mudado el mes pasado. ¿Tengo que comunicarlo a la compañía?",
        "Sí, gracias por avisar: díganos la dirección nueva y tramitamos el suplemento.",
    ),
    (
        "Certificado para el banco",
        "El banco me pide un certificado de la póliza de hogar.",
        "Se lo hemos pedido a la compañía; se lo dejamos en sus documentos en cuanto llegue.",
    ),
];

/// Idempotent: does nothing when client accounts already exist or there are no policies.
pub fn demo_portal(conn: &mut PgConnection, password: &str) -> anyhow::Result<()> {
    let existing: i64 = client_users::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(());
    }
    // Customers with a policy in force and a claim, so every page has something to show.
    let picked: Vec<i64> = customers::table
        .filter(customers::merged_into_id.is_null())
        .filter(diesel::dsl::exists(
            policies::table
                .filter(policies::customer_id.eq(customers::id))
                .filter(policies::status.eq("active")),
        ))
        .filter(diesel::dsl::exists(
            claims::table.filter(claims::customer_id.eq(customers::id)),
        ))
        .order(customers::id)
        .limit(DEMO_CLIENT_EMAILS.len() as i64)
        .select(customers::id)
        .load(conn)?;
    let staff: Option<i64> = staff_users::table
        .filter(staff_users::active.eq(true))
        .order(staff_users::id)
        .select(staff_users::id)
        .first(conn)
        .optional()?;
    let hash = crate::auth::password::hash(password)?;
    conn.transaction(|conn| {
        for ((customer_id, email), (subject, question, answer)) in
            picked.iter().zip(DEMO_CLIENT_EMAILS).zip(CONVERSATIONS)
        {
            diesel::update(customers::table.find(customer_id))
                .set(customers::email.eq(email))
                .execute(conn)?;
            diesel::insert_into(client_users::table)
                .values((
                    client_users::customer_id.eq(customer_id),
                    client_users::email.eq(email),
                    client_users::password_hash.eq(&hash),
                    client_users::email_confirmed_at.eq(Utc::now()),
                ))
                .execute(conn)?;
            let thread = crate::messages::start_by_client(conn, *customer_id, subject, question)?;
            if let Some(staff_id) = staff {
                // Through the domain so the counters are right; the notice e-mail of a real
                // reply is not wanted in a seed, hence the direct insert of the answer.
                crate::messages::seed_staff_answer(conn, thread, staff_id, answer)?;
            }
        }
        Ok::<_, anyhow::Error>(())
    })
}

/// The note of the demo quote of e-SORI's first client (tells it from the other demo quotes).
pub const DEMO_PORTAL_QUOTE_NOTE: &str = "Presupuesto de demostración para e-SORI.";

/// The first demo client (`cliente1@soriano.test`) gets a home quote with two options, sent and
/// waiting for their answer, so e-SORI's "Presupuestos" has something to accept. Idempotent:
/// nothing when that client already has a sent quote in validity with two options or more.
pub fn demo_portal_quote(conn: &mut PgConnection) -> anyhow::Result<()> {
    use chrono::Days;

    use crate::auth::permissions::PortfolioScope;
    use crate::db::schema::{carriers, lines_of_business, products, quote_options, quotes};
    use crate::policies::{Home, Risk};
    use crate::quotes::{self as domain, Actor, NewOption, NewQuote};

    let customer: Option<(i64, Option<i64>)> = client_users::table
        .inner_join(customers::table)
        .filter(client_users::email.eq(DEMO_CLIENT_EMAILS[0]))
        .select((customers::id, customers::owner_staff_id))
        .first(conn)
        .optional()?;
    let Some((customer_id, owner)) = customer else {
        return Ok(());
    };
    let today = crate::policies::today();
    let sent: Vec<i64> = quotes::table
        .filter(quotes::customer_id.eq(customer_id))
        .filter(quotes::status.eq("sent"))
        .filter(quotes::valid_until.ge(today))
        .select(quotes::id)
        .load(conn)?;
    let most_options: Option<i64> = quote_options::table
        .filter(quote_options::quote_id.eq_any(&sent))
        .group_by(quote_options::quote_id)
        .select(diesel::dsl::count_star())
        .order(diesel::dsl::count_star().desc())
        .first(conn)
        .optional()?;
    if most_options.is_some_and(|n| n >= 2) {
        return Ok(());
    }
    // Two home products of different carriers.
    let offers: Vec<(i64, i64, i64)> = products::table
        .inner_join(carriers::table)
        .inner_join(lines_of_business::table)
        .filter(lines_of_business::code.eq("hogar"))
        .filter(products::active.eq(true))
        .filter(carriers::active.eq(true))
        .order(products::id)
        .select((products::id, carriers::id, lines_of_business::id))
        .load(conn)?;
    let mut picked: Vec<(i64, i64, i64)> = Vec::new();
    for offer in offers {
        if picked.iter().all(|p| p.1 != offer.1) {
            picked.push(offer);
        }
    }
    picked.truncate(2);
    if picked.len() < 2 {
        return Ok(());
    }
    let agent = owner.or(staff_users::table
        .filter(staff_users::active.eq(true))
        .filter(staff_users::role.eq("agent"))
        .order(staff_users::id)
        .select(staff_users::id)
        .first(conn)
        .optional()?);
    let Some(agent) = agent else {
        return Ok(());
    };
    let options = picked
        .iter()
        .zip([(31_500, 34_900), (28_900, 32_100)])
        .map(|((product, carrier, _), (net, total))| NewOption {
            carrier_id: *carrier,
            product_id: Some(*product),
            coverage_level: String::new(),
            coverage_summary:
                "Continente y contenido, daños por agua, responsabilidad civil y asistencia 24 h."
                    .to_owned(),
            net_premium_cents: net,
            total_premium_cents: total,
            breakdown: None,
            tariff_version_id: None,
        })
        .collect();
    let new = NewQuote {
        customer_id: Some(customer_id),
        lead_id: None,
        prospect: None,
        line_id: picked[0].2,
        risk: Risk::Home(Home {
            address_line: "Calle del Pilar 12, 3º B".to_owned(),
            postcode: "50003".to_owned(),
            city: "Zaragoza".to_owned(),
            built_area_m2: 95,
            year_built: 1998,
        }),
        valid_until: today + Days::new(30),
        notes: DEMO_PORTAL_QUOTE_NOTE.to_owned(),
        source: "backoffice",
        agent_staff_id: Some(agent),
        created_by_staff_id: Some(agent),
    };
    let Some(agent_user) = crate::auth::staff::find_active(conn, agent)? else {
        return Ok(());
    };
    let by = Actor::new(&agent_user, "", "");
    conn.transaction(|conn| {
        let quote = domain::create(conn, new, options, &by)?;
        domain::send(conn, PortfolioScope::All, quote.id, today, &by)?;
        // The agent recorded what the client needs; the pre-contract information is read and
        // confirmed by the client in e-SORI when accepting.
        super::quotes::record_needs(conn, quote.id, "hogar", &by)?;
        Ok::<_, domain::QuoteError>(())
    })
    .map_err(|e| anyhow::anyhow!("demo e-SORI quote: {e:?}"))
}
