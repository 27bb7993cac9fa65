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
