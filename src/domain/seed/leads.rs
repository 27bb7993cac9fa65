//! Demo leads: about 80 in every stage of the pipeline, from several sources and campaigns
//! with their UTM data, the forms they sent with consents, a few interactions, and some won
//! leads converted into customers through the real conversion.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::customers::{FAMILY_NAMES, GIVEN_NAMES};
use super::rng::XorShift;
use crate::audit::Actor;
use crate::auth::permissions::PortfolioScope;
use crate::auth::staff::Role;
use crate::db::schema::{
    lead_consents, lead_events, lead_submissions, leads, lines_of_business, staff_users,
};
use crate::leads::{ConvertTarget, Stage};

/// How many demo leads.
pub const DEMO_LEADS: usize = 80;

/// (source, campaign, utm_source, utm_medium, utm_campaign, line code).
type Origin = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
);

const ORIGINS: &[Origin] = &[
    (
        "landing",
        Some("hogar-otono-2026"),
        Some("google"),
        Some("cpc"),
        Some("hogar-otono-2026"),
        "hogar",
    ),
    (
        "landing",
        Some("salud-familias"),
        Some("facebook"),
        Some("social"),
        Some("salud-familias"),
        "salud",
    ),
    (
        "landing",
        Some("decesos-tranquilidad"),
        Some("newsletter"),
        Some("email"),
        Some("decesos-tranquilidad"),
        "decesos",
    ),
    (
        "web_form",
        None,
        Some("google"),
        Some("organic"),
        None,
        "auto",
    ),
    (
        "taxi",
        Some("taxi-madrid"),
        Some("google"),
        Some("cpc"),
        Some("taxi-madrid"),
        "taxi",
    ),
    ("phone", None, None, None, None, "hogar"),
    ("referral", None, None, None, None, "vida"),
    (
        "campaign",
        Some("feria-comercio-2026"),
        None,
        None,
        None,
        "comercio",
    ),
];

/// Stages of the demo leads, weighted like a real funnel (many new, few won).
const STAGES: &[Stage] = &[
    Stage::New,
    Stage::New,
    Stage::New,
    Stage::Contacted,
    Stage::Contacted,
    Stage::Qualified,
    Stage::Qualified,
    Stage::Proposal,
    Stage::Negotiation,
    Stage::Won,
    Stage::Lost,
];

const LOST_REASONS: &[&str] = &[
    "Ha contratado con otra correduría.",
    "El precio le parece alto.",
    "No contesta tras cinco intentos.",
    "Solo quería información.",
];

const INTERACTIONS: &[(&str, &str)] = &[
    (
        "call",
        "Llamada de presentación; pide precio para el próximo mes.",
    ),
    ("email", "Enviada la comparativa de tres compañías."),
    ("whatsapp", "Confirma que le viene bien la cita del jueves."),
    (
        "meeting",
        "Reunión en la oficina: revisamos coberturas actuales.",
    ),
    ("note", "Tiene la póliza actual con vencimiento en enero."),
];

fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' => 'o',
            'ú' | 'ü' => 'u',
            'ñ' => 'n',
            'Á' => 'a',
            'É' => 'e',
            'Í' => 'i',
            'Ó' => 'o',
            'Ú' => 'u',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

/// Fills the demo leads. Does nothing when the back-office already has lead history (a
/// second run) or there are no demo agents yet.
pub fn demo_leads(conn: &mut PgConnection) -> anyhow::Result<()> {
    let existing: i64 = lead_events::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(());
    }
    let agents: Vec<i64> = staff_users::table
        .filter(staff_users::active.eq(true))
        .filter(staff_users::role.eq(Role::Agent.code()))
        .order(staff_users::id)
        .select(staff_users::id)
        .load(conn)?;
    let admin = crate::auth::staff::find_by_email(conn, super::DEMO_ADMIN_EMAIL)?;
    let (Some(admin), false) = (admin, agents.is_empty()) else {
        return Ok(());
    };
    let lines: Vec<(i64, String)> = lines_of_business::table
        .select((lines_of_business::id, lines_of_business::code))
        .load(conn)?;
    let line_id = |code: &str| lines.iter().find(|(_, c)| c == code).map(|(id, _)| *id);
    let by = Actor::new(&admin, "127.0.0.1", "soriano seed");
    let mut rng = XorShift(0x1EAD_5EED_2026);
    let now = Utc::now();
    let mut won = Vec::new();
    conn.transaction(|conn| {
        for n in 0..DEMO_LEADS {
            let given = *rng.pick(GIVEN_NAMES);
            let family = *rng.pick(FAMILY_NAMES);
            let family2 = *rng.pick(FAMILY_NAMES);
            let full_name = format!("{given} {family} {family2}");
            let email = format!("{}.{}{}@example.com", ascii(given), ascii(family), n + 1);
            let phone = format!("6{:08}", rng.below(100_000_000));
            let (source, campaign, utm_source, utm_medium, utm_campaign, line) =
                ORIGINS[n % ORIGINS.len()];
            // Every stage gets leads: the first seven go one to each, the rest by weight.
            let stage = if n < Stage::ALL.len() {
                Stage::ALL[n]
            } else {
                *rng.pick(STAGES)
            };
            let created_at: DateTime<Utc> =
                now - Duration::hours(rng.between(2, 24 * 75)) - Duration::minutes(n as i64);
            let first_contacted_at = (stage != Stage::New)
                .then(|| created_at + Duration::minutes(rng.between(10, 60 * 72)));
            let assigned = if stage == Stage::New && n % 3 == 0 {
                None
            } else {
                Some(agents[n % agents.len()])
            };
            let next_action_on = matches!(
                stage,
                Stage::Contacted | Stage::Qualified | Stage::Proposal | Stage::Negotiation
            )
            .then(|| crate::leads::today() + Duration::days(rng.between(-3, 14)));
            let lost_reason = (stage == Stage::Lost).then(|| rng.pick(LOST_REASONS).to_string());
            let from_web = matches!(source, "landing" | "web_form" | "taxi");
            let postcode = format!("28{:03}", rng.below(60) + 1);
            let tax_id = (stage == Stage::Won).then(|| {
                let number = 10_000_000 + rng.below(89_999_999) as u32;
                format!("{number:08}{}", crate::identifiers::dni_letter(number))
            });
            let id: i64 = diesel::insert_into(leads::table)
                .values((
                    leads::full_name.eq(&full_name),
                    leads::email.eq(Some(&email)),
                    leads::phone.eq(Some(&phone)),
                    leads::postcode.eq(Some(&postcode)),
                    leads::tax_id.eq(&tax_id),
                    leads::line_id.eq(line_id(line)),
                    leads::source.eq(source),
                    leads::campaign.eq(campaign),
                    leads::utm_source.eq(utm_source),
                    leads::utm_medium.eq(utm_medium),
                    leads::utm_campaign.eq(utm_campaign),
                    leads::referrer.eq(from_web.then_some("https://www.google.es/")),
                    leads::stage.eq(stage.code()),
                    leads::lost_reason.eq(&lost_reason),
                    leads::assigned_staff_id.eq(assigned),
                    leads::next_action_on.eq(next_action_on),
                    leads::first_contacted_at.eq(first_contacted_at),
                    leads::created_at.eq(created_at),
                    leads::updated_at.eq(first_contacted_at.unwrap_or(created_at)),
                ))
                .returning(leads::id)
                .get_result(conn)?;
            if from_web {
                let submission: i64 = diesel::insert_into(lead_submissions::table)
                    .values((
                        lead_submissions::lead_id.eq(id),
                        lead_submissions::payload.eq(json!({
                            "nombre": full_name,
                            "email": email,
                            "telefono": phone,
                            "codigo_postal": postcode,
                            "mensaje": "Quiero saber cuánto me costaría.",
                        })),
                        lead_submissions::utm_source.eq(utm_source),
                        lead_submissions::utm_medium.eq(utm_medium),
                        lead_submissions::utm_campaign.eq(utm_campaign),
                        lead_submissions::referrer.eq(Some("https://www.google.es/")),
                        lead_submissions::ip.eq(Some(format!("83.45.{}.{}", n % 200, n + 10))),
                        lead_submissions::user_agent.eq(Some("Mozilla/5.0 (demo)")),
                        lead_submissions::created_at.eq(created_at),
                    ))
                    .returning(lead_submissions::id)
                    .get_result(conn)?;
                for (purpose, granted) in [("privacy", true), ("marketing", n % 2 == 0)] {
                    diesel::insert_into(lead_consents::table)
                        .values((
                            lead_consents::lead_id.eq(id),
                            lead_consents::submission_id.eq(Some(submission)),
                            lead_consents::purpose.eq(purpose),
                            lead_consents::granted.eq(granted),
                            lead_consents::text_version.eq("v1"),
                            lead_consents::ip.eq(Some(format!("83.45.{}.{}", n % 200, n + 10))),
                            lead_consents::recorded_at.eq(created_at),
                        ))
                        .execute(conn)?;
                }
            }
            let note = if from_web {
                "Formulario recibido en la web."
            } else {
                "Lead dado de alta en la oficina."
            };
            diesel::insert_into(lead_events::table)
                .values((
                    lead_events::lead_id.eq(id),
                    lead_events::staff_id.eq((!from_web).then_some(admin.id)),
                    lead_events::kind.eq("created"),
                    lead_events::to_stage.eq(Some(Stage::New.code())),
                    lead_events::note.eq(note),
                    lead_events::occurred_at.eq(created_at),
                ))
                .execute(conn)?;
            if let Some(contacted) = first_contacted_at {
                let (channel, summary) = *rng.pick(INTERACTIONS);
                let staff = assigned.unwrap_or(admin.id);
                diesel::insert_into(lead_events::table)
                    .values(&vec![
                        (
                            lead_events::lead_id.eq(id),
                            lead_events::staff_id.eq(Some(staff)),
                            lead_events::kind.eq("interaction"),
                            lead_events::channel.eq(Some(channel)),
                            lead_events::from_stage.eq(None::<&str>),
                            lead_events::to_stage.eq(None::<&str>),
                            lead_events::note.eq(summary.to_owned()),
                            lead_events::occurred_at.eq(contacted),
                        ),
                        (
                            lead_events::lead_id.eq(id),
                            lead_events::staff_id.eq(Some(staff)),
                            lead_events::kind.eq("stage_changed"),
                            lead_events::channel.eq(None::<&str>),
                            lead_events::from_stage.eq(Some(Stage::New.code())),
                            lead_events::to_stage.eq(Some(stage.code())),
                            lead_events::note.eq(lost_reason.clone().unwrap_or_default()),
                            lead_events::occurred_at.eq(contacted + Duration::minutes(5)),
                        ),
                    ])
                    .execute(conn)?;
            }
            if stage == Stage::Won {
                won.push((
                    id,
                    given,
                    format!("{family} {family2}"),
                    tax_id,
                    email,
                    phone,
                    postcode,
                ));
            }
        }
        // Most won leads become customers through the real conversion (audit, events and
        // all); the last one is left for the newcomer to convert.
        let keep = won.len().saturating_sub(1);
        for (id, given, family, tax_id, email, phone, postcode) in won.into_iter().take(keep) {
            let form = crate::customers::CustomerForm {
                tipo: "person".to_owned(),
                nombre: given.to_owned(),
                apellidos: family,
                nif: tax_id.unwrap_or_default(),
                email,
                telefono: phone,
                codigo_postal: postcode,
                segmento: "individual".to_owned(),
                ..Default::default()
            };
            let valid = crate::customers::validate(&form)
                .map_err(|e| anyhow::anyhow!("demo customer of lead {id}: {e:?}"))?;
            crate::leads::convert(
                conn,
                PortfolioScope::All,
                id,
                ConvertTarget::New(Box::new(valid)),
                &by,
            )
            .map_err(|e| anyhow::anyhow!("converting demo lead {id}: {e}"))?;
        }
        Ok::<_, anyhow::Error>(())
    })
}
