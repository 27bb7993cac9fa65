//! Demo complaints for the customer service department: one from e-SORI still open (the
//! client asked for a person), one typed from a letter and answered, one from the web form
//! withdrawn, so every state of the register and the annual report shows; and two
//! data-protection rights requests, one pending and one attended.

use chrono::Duration;
use diesel::prelude::*;

use crate::audit::Actor;
use crate::auth::staff;
use crate::complaints::{self, Channel, Draft, Kind, Outcome, Source};
use crate::db::schema::{client_users, complaints as complaints_table, policies};

fn draft(kind: Kind, channel: Channel, name: &str, subject: &str, description: &str) -> Draft {
    Draft {
        kind,
        channel,
        customer_id: None,
        policy_id: None,
        policy_number_given: None,
        name: name.to_owned(),
        email: None,
        phone: Some("600000000".to_owned()),
        tax_id: None,
        subject: subject.to_owned(),
        description: description.to_owned(),
        wants_human: false,
        received_on: None,
    }
}

/// Does nothing when complaints exist, or before the demo admin and portal clients do.
pub fn demo_complaints(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.transaction(|conn| {
        let existing: i64 = complaints_table::table.count().get_result(conn)?;
        let Some(admin) = staff::find_by_email(conn, super::DEMO_ADMIN_EMAIL)? else {
            return Ok(());
        };
        let client: Option<i64> = client_users::table
            .filter(client_users::email.eq("cliente1@soriano.test"))
            .select(client_users::customer_id)
            .first(conn)
            .optional()?;
        let (Some(customer), 0) = (client, existing) else {
            return Ok(());
        };
        let today = crate::time::today();
        let by = Actor::new(&admin, "", "");
        let policy: Option<(i64, String)> = policies::table
            .filter(policies::customer_id.eq(customer))
            .order(policies::id)
            .select((policies::id, policies::number))
            .first(conn)
            .optional()?;

        let mut open = draft(
            Kind::Claim,
            Channel::Portal,
            "",
            "Me cobran dos veces el recibo de octubre",
            "En el extracto del banco aparecen dos cargos del mismo recibo de octubre. Pido que me devuelvan el cargo duplicado.",
        );
        // Reachable by phone only: the demo is loaded before the application can write
        // e-mails (and demo data should not send any).
        open.wants_human = true;
        open.policy_id = policy.as_ref().map(|(id, _)| *id);
        open.received_on = Some(crate::calendar::add_working_days(today, -3));
        let customer_name: String = crate::db::schema::customers::table
            .find(customer)
            .select(crate::db::schema::customers::display_name)
            .first(conn)?;
        open.name = customer_name;
        complaints::file(
            conn,
            &open,
            Source::Portal {
                customer_id: customer,
            },
            today,
        )?;

        let mut letter = draft(
            Kind::Claim,
            Channel::Letter,
            "Andrés Villalba Ruiz",
            "Retraso en la tramitación de un siniestro de hogar",
            "Carta recibida en la oficina. Calle del Pez 12, 2.º B, 28004 Madrid.\n\nDeclaré una fuga de agua hace dos meses y el perito aún no ha venido. Pide que se agilice el expediente.",
        );
        letter.phone = None;
        letter.received_on = Some(today - Duration::days(40));
        if let Some(filed) =
            complaints::file_by_staff(conn, letter, "", &by, today).map_err(anyhow::Error::from)?
        {
            complaints::answer(
                conn,
                filed.id,
                "Hemos revisado el expediente con la aseguradora: el peritaje estaba pendiente por un error de asignación. El perito le visitó el día siguiente a su carta y la indemnización se ha pagado. Le pedimos disculpas por el retraso.",
                Outcome::InFavour,
                &by,
            )
            .map_err(|e| anyhow::anyhow!("demo complaint answer: {e}"))?;
        }

        let mut web = draft(
            Kind::Complaint,
            Channel::Web,
            "Marta Ibáñez",
            "Nadie me devuelve las llamadas",
            "He llamado tres veces para cambiar la cuenta de domiciliación y nadie me ha vuelto a llamar.",
        );
        web.received_on = Some(today - Duration::days(20));
        let filed = complaints::file(conn, &web, Source::Web, today)?;
        complaints::withdraw(
            conn,
            filed.id,
            "Llamó para decir que ya le habían atendido y que retiraba la queja.",
            &by,
        )
        .map_err(|e| anyhow::anyhow!("demo complaint withdrawal: {e}"))?;
        Ok(())
    })
}

/// A pending access request from e-SORI and an attended rectification typed from an e-mail.
pub fn demo_privacy_requests(conn: &mut PgConnection) -> anyhow::Result<()> {
    use crate::db::schema::{customers, privacy_requests};
    use crate::privacy_requests::{self as requests, NewRequest, Right, Status};
    conn.transaction(|conn| {
        let existing: i64 = privacy_requests::table.count().get_result(conn)?;
        let Some(admin) = staff::find_by_email(conn, super::DEMO_ADMIN_EMAIL)? else {
            return Ok(());
        };
        let client: Option<(i64, String)> = client_users::table
            .inner_join(customers::table)
            .filter(client_users::email.eq("cliente2@soriano.test"))
            .select((client_users::customer_id, customers::display_name))
            .first(conn)
            .optional()?;
        let (Some((customer, name)), 0) = (client, existing) else {
            return Ok(());
        };
        let today = crate::time::today();
        let by = Actor::new(&admin, "", "");
        requests::register(
            conn,
            &NewRequest {
                customer_id: Some(customer),
                requester_name: name.clone(),
                kind: Right::Access,
                channel: requests::Channel::Portal,
                details: "Quiero saber qué datos míos tienen y a quién se los han comunicado."
                    .to_owned(),
                received_on: today - Duration::days(5),
            },
            None,
        )?;
        let done = requests::register(
            conn,
            &NewRequest {
                customer_id: Some(customer),
                requester_name: name,
                kind: Right::Rectification,
                channel: requests::Channel::Email,
                details: "Mi segundo apellido está mal escrito.".to_owned(),
                received_on: today - Duration::days(30),
            },
            Some(&by),
        )?;
        requests::close(
            conn,
            done,
            Status::Done,
            "Corregido el apellido en su ficha y comunicado a la aseguradora.",
            &by,
        )?
        .map_err(|e| anyhow::anyhow!("demo rights request: {e:?}"))?;
        demo_blocked_customer(conn, &by, today)?;
        Ok(())
    })
}

/// An erasure request by letter, attended: the customer's data are blocked (LOPDGDD art.
/// 32), so the legal-hold register has one. The customer is one with no e-SORI account, claims,
/// quotes or complaints, whose only policies ended: what a real erasure usually looks like.
fn demo_blocked_customer(
    conn: &mut PgConnection,
    by: &Actor,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    use crate::db::schema::{claims, customers, quotes};
    use crate::privacy_requests::{self as requests, NewRequest, Right, Status};
    let candidate: Option<(i64, String)> = customers::table
        .filter(customers::merged_into_id.is_null())
        .filter(customers::blocked_at.is_null())
        .filter(diesel::dsl::not(diesel::dsl::exists(
            client_users::table.filter(client_users::customer_id.eq(customers::id)),
        )))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            claims::table.filter(claims::customer_id.eq(customers::id)),
        )))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            quotes::table.filter(quotes::customer_id.eq(customers::id.nullable())),
        )))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            complaints_table::table
                .filter(complaints_table::customer_id.eq(customers::id.nullable())),
        )))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            policies::table
                .filter(policies::customer_id.eq(customers::id))
                .filter(policies::status.eq("active")),
        )))
        .order(customers::id.desc())
        .select((customers::id, customers::display_name))
        .first(conn)
        .optional()?;
    let Some((customer, name)) = candidate else {
        return Ok(());
    };
    let request = requests::register(
        conn,
        &NewRequest {
            customer_id: Some(customer),
            requester_name: name,
            kind: Right::Erasure,
            channel: requests::Channel::Letter,
            details: "Ya no soy cliente: pido que borren todos mis datos.".to_owned(),
            received_on: today - Duration::days(12),
        },
        Some(by),
    )?;
    requests::close(
        conn,
        request,
        Status::Done,
        "Sus datos quedan bloqueados y apartados de todo uso; se conservan solo durante los plazos legales de sus pólizas y después se destruirán. Se lo hemos comunicado por carta.",
        by,
    )?
    .map_err(|e| anyhow::anyhow!("demo erasure request: {e:?}"))?;
    Ok(())
}
