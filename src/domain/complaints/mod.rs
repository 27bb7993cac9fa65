//! The customer service department (SAC, "servicio de atención al cliente"): complaints
//! ("quejas": how we treated someone) and claims ("reclamaciones": money or rights) against
//! the brokerage. Each one gets a tracking reference at once and a deadline in working days
//! (Spanish national holidays and weekends skipped); staff assign it, write internal notes,
//! and send a reasoned answer with its outcome; a complainant who is not satisfied goes to the
//! customer ombudsman or the DGSFP, and that escalation is recorded with its reference.
//! Ley 10/2025 and Orden ECO/734/2004; the annual report is [`report`]. No HTTP here.

pub mod form;
pub mod report;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{Action, Actor};
use crate::calendar;
use crate::db::DbError;
use crate::db::schema::{
    complaint_counters, complaint_events, complaint_settings, complaints, customers, policies,
    staff_users, tasks,
};
use crate::listing::{Numbered, PAGE_SIZE, PageNumber};

pub use form::{ComplaintForm, Draft};

const TARGET: &str = crate::audit::target::COMPLAINT;

crate::text_enum!(Kind);

/// A complaint about how we treated someone, or a claim for money or a right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Complaint,
    Claim,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Claim, Kind::Complaint];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Complaint => "complaint",
            Kind::Claim => "claim",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Complaint => "Queja",
            Kind::Claim => "Reclamación",
        }
    }

    /// What the public form explains under each choice.
    pub fn hint(self) -> &'static str {
        match self {
            Kind::Complaint => "Sobre la atención recibida: retrasos, trato, falta de respuesta.",
            Kind::Claim => "Pide que se le devuelva dinero o se reconozca un derecho.",
        }
    }
}

crate::text_enum!(Channel);

/// Where a complaint came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Portal,
    Web,
    Letter,
    Email,
    Phone,
    InPerson,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Portal,
        Channel::Web,
        Channel::Letter,
        Channel::Email,
        Channel::Phone,
        Channel::InPerson,
    ];
    /// The channels staff type a complaint from.
    pub const BY_STAFF: [Channel; 4] = [
        Channel::Letter,
        Channel::Email,
        Channel::Phone,
        Channel::InPerson,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::Portal => "portal",
            Channel::Web => "web",
            Channel::Letter => "letter",
            Channel::Email => "email",
            Channel::Phone => "phone",
            Channel::InPerson => "in_person",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Portal => "e-SORI",
            Channel::Web => "Formulario de la web",
            Channel::Letter => "Carta",
            Channel::Email => "Correo electrónico",
            Channel::Phone => "Teléfono",
            Channel::InPerson => "En la oficina",
        }
    }
}

crate::text_enum!(Status);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Answered,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Open, Status::Answered, Status::Withdrawn];

    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Answered => "answered",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "En trámite",
            Status::Answered => "Contestada",
            Status::Withdrawn => "Desistida",
        }
    }
}

crate::text_enum!(Outcome);

/// How a complaint ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    InFavour,
    Partly,
    Against,
    Withdrawn,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::InFavour,
        Outcome::Partly,
        Outcome::Against,
        Outcome::Withdrawn,
    ];
    /// The outcomes of an answer (a withdrawal has its own action).
    pub const OF_ANSWER: [Outcome; 3] = [Outcome::InFavour, Outcome::Partly, Outcome::Against];

    pub fn code(self) -> &'static str {
        match self {
            Outcome::InFavour => "in_favour",
            Outcome::Partly => "partly",
            Outcome::Against => "against",
            Outcome::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::InFavour => "A favor del cliente",
            Outcome::Partly => "En parte a favor del cliente",
            Outcome::Against => "Desestimada",
            Outcome::Withdrawn => "Desistida por el cliente",
        }
    }
}

crate::text_enum!(Escalation);

/// Where a complainant took the matter after us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    Ombudsman,
    Dgsfp,
}

impl Escalation {
    pub const ALL: [Escalation; 2] = [Escalation::Ombudsman, Escalation::Dgsfp];

    pub fn code(self) -> &'static str {
        match self {
            Escalation::Ombudsman => "ombudsman",
            Escalation::Dgsfp => "dgsfp",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Escalation::Ombudsman => "Defensor del Cliente",
            Escalation::Dgsfp => "Servicio de Reclamaciones de la DGSFP",
        }
    }
}

/// The department's deadline and how early it is warned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub deadline_days: i32,
    pub warning_days: i32,
}

pub fn settings(conn: &mut PgConnection) -> QueryResult<Settings> {
    let (deadline_days, warning_days) = complaint_settings::table
        .select((
            complaint_settings::deadline_days,
            complaint_settings::warning_days,
        ))
        .first(conn)?;
    Ok(Settings {
        deadline_days,
        warning_days,
    })
}

/// Changes the settings; complaints already received keep the deadline they were given.
pub fn save_settings(conn: &mut PgConnection, new: Settings, by: &Actor) -> QueryResult<()> {
    let old = settings(conn)?;
    diesel::update(complaint_settings::table)
        .set((
            complaint_settings::deadline_days.eq(new.deadline_days),
            complaint_settings::warning_days.eq(new.warning_days),
            complaint_settings::updated_at.eq(diesel::dsl::now),
            complaint_settings::updated_by_staff_id.eq(by.staff()),
        ))
        .execute(conn)?;
    by.record(
        conn,
        Action::ComplaintSettingsChanged,
        crate::audit::target::SETTINGS,
        1,
        json!({
            "deadline_days": {"before": old.deadline_days, "after": new.deadline_days},
            "warning_days": {"before": old.warning_days, "after": new.warning_days},
        }),
    )
}

/// The last day to answer a complaint received on `received`: `days` working days later.
pub fn due_on(received: NaiveDate, days: i32) -> NaiveDate {
    calendar::add_working_days(received, days)
}

/// Working days from `from` to `to`: those after `from` up to `to` included; negative when
/// `to` is earlier (how many working days late).
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> i32 {
    if to < from {
        return -working_days_between(to, from);
    }
    from.iter_days()
        .skip(1)
        .take_while(|day| *day <= to)
        .filter(|day| calendar::is_working_day(*day))
        .count() as i32
}

/// Where an open complaint stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Working days left, more than the warning.
    OnTime(i32),
    /// Within the warning (0: today is the last day).
    DueSoon(i32),
    /// Working days past the deadline.
    Overdue(i32),
}

impl Clock {
    pub fn of(today: NaiveDate, due: NaiveDate, warning_days: i32) -> Clock {
        let left = working_days_between(today, due);
        if today > due {
            Clock::Overdue(-left)
        } else if left <= warning_days {
            Clock::DueSoon(left)
        } else {
            Clock::OnTime(left)
        }
    }

    /// "Quedan 12 días hábiles", "Vence hoy", "Vencida hace 3 días hábiles".
    pub fn label(self) -> String {
        let days = |n: i32| {
            if n == 1 {
                "1 día hábil".to_owned()
            } else {
                format!("{n} días hábiles")
            }
        };
        match self {
            Clock::OnTime(1) | Clock::DueSoon(1) => "Queda 1 día hábil".to_owned(),
            Clock::OnTime(n) | Clock::DueSoon(n) if n > 0 => format!("Quedan {}", days(n)),
            Clock::OnTime(_) | Clock::DueSoon(_) => "Vence hoy".to_owned(),
            Clock::Overdue(0) => "Vencida".to_owned(),
            Clock::Overdue(n) => format!("Vencida hace {}", days(n)),
        }
    }

    pub fn badge_class(self) -> &'static str {
        match self {
            Clock::OnTime(_) => "badge",
            Clock::DueSoon(_) => "badge badge-warn",
            Clock::Overdue(_) => "badge badge-error",
        }
    }
}

/// The next reference of `year`: "SAC-2026-00001". Gapless: the counter row stays locked
/// until the complaint's transaction ends.
fn next_reference(conn: &mut PgConnection, year: i32) -> QueryResult<String> {
    let last: i32 = diesel::insert_into(complaint_counters::table)
        .values((
            complaint_counters::year.eq(year),
            complaint_counters::last.eq(1),
        ))
        .on_conflict(complaint_counters::year)
        .do_update()
        .set(complaint_counters::last.eq(complaint_counters::last + 1))
        .returning(complaint_counters::last)
        .get_result(conn)?;
    Ok(format!("SAC-{year}-{last:05}"))
}

/// A complaint just received: what the complainant is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filed {
    pub id: i64,
    pub reference: String,
    pub due_on: NaiveDate,
}

/// Who a complaint is filed by, and for which customer.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A visitor of the public site.
    Web,
    /// A client in e-SORI (inside their portal transaction).
    Portal { customer_id: i64 },
    /// Staff typing it from a letter, an e-mail, a call or a visit.
    Staff { by: &'a Actor },
}

/// Registers a complaint, its first entry, and the acknowledgement to the complainant (when
/// they gave an e-mail), in the caller's transaction.
pub fn file(
    conn: &mut PgConnection,
    draft: &Draft,
    source: Source,
    today: NaiveDate,
) -> Result<Filed, DbError> {
    use chrono::Datelike;

    let settings = settings(conn)?;
    let received_on = draft.received_on.unwrap_or(today);
    let due = due_on(received_on, settings.deadline_days);
    let reference = next_reference(conn, received_on.year())?;
    let (channel, customer_id, created_by) = match source {
        Source::Web => (Channel::Web, None, None),
        Source::Portal { customer_id } => (Channel::Portal, Some(customer_id), None),
        Source::Staff { by } => (draft.channel, draft.customer_id, by.staff()),
    };
    let id: i64 = diesel::insert_into(complaints::table)
        .values((
            complaints::reference.eq(&reference),
            complaints::kind.eq(draft.kind.code()),
            complaints::channel.eq(channel.code()),
            complaints::customer_id.eq(customer_id),
            complaints::policy_id.eq(draft.policy_id),
            complaints::policy_number_given.eq(&draft.policy_number_given),
            complaints::complainant_name.eq(&draft.name),
            complaints::complainant_email.eq(&draft.email),
            complaints::complainant_phone.eq(&draft.phone),
            complaints::complainant_tax_id.eq(&draft.tax_id),
            complaints::subject.eq(&draft.subject),
            complaints::description.eq(&draft.description),
            complaints::wants_human.eq(draft.wants_human),
            complaints::received_on.eq(received_on),
            complaints::due_on.eq(due),
            complaints::created_by_staff_id.eq(created_by),
        ))
        .returning(complaints::id)
        .get_result(conn)?;
    let mut first = format!("Recibida por {}.", channel.label().to_lowercase());
    if draft.wants_human {
        first.push_str(" Pide que le atienda una persona.");
    }
    add_event(conn, id, "received", &first, created_by)?;
    if let Source::Staff { by } = source {
        by.record(
            conn,
            Action::ComplaintReceived,
            TARGET,
            id,
            json!({"reference": reference, "channel": channel.label()}),
        )?;
    }
    if let Some(to) = &draft.email {
        crate::mail::send(
            conn,
            &crate::mail::Notice::ComplaintReceived {
                to: to.clone(),
                name: draft.name.clone(),
                reference: reference.clone(),
                kind: draft.kind.label().to_lowercase(),
                received_on: crate::format::date(received_on),
                due_on: crate::format::date(due),
            },
        )?;
    }
    Ok(Filed {
        id,
        reference,
        due_on: due,
    })
}

fn add_event(
    conn: &mut PgConnection,
    complaint_id: i64,
    kind: &str,
    body: &str,
    staff_id: Option<i64>,
) -> QueryResult<()> {
    diesel::insert_into(complaint_events::table)
        .values((
            complaint_events::complaint_id.eq(complaint_id),
            complaint_events::kind.eq(kind),
            complaint_events::body.eq(body),
            complaint_events::staff_id.eq(staff_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// The policy of `number` and its customer, to link a complaint typed by staff.
pub fn policy_by_number(conn: &mut PgConnection, number: &str) -> QueryResult<Option<(i64, i64)>> {
    policies::table
        .filter(policies::number.eq(number.trim()))
        .select((policies::id, policies::customer_id))
        .first(conn)
        .optional()
}

/// Files a complaint typed by staff: linked to the policy of `policy_number` (and its
/// customer) when given; `Ok(None)` when no policy has that number.
pub fn file_by_staff(
    conn: &mut PgConnection,
    mut draft: Draft,
    policy_number: &str,
    by: &Actor,
    today: NaiveDate,
) -> Result<Option<Filed>, DbError> {
    if !policy_number.trim().is_empty() {
        match policy_by_number(conn, policy_number)? {
            Some((policy, customer)) => {
                draft.policy_id = Some(policy);
                draft.customer_id = Some(customer);
            }
            None => return Ok(None),
        }
    }
    file(conn, &draft, Source::Staff { by }, today).map(Some)
}

/// The reference of complaint `id` (what a repeated submit of the public form is shown).
pub fn reference_of(conn: &mut PgConnection, id: i64) -> QueryResult<Option<String>> {
    complaints::table
        .find(id)
        .select(complaints::reference)
        .first(conn)
        .optional()
}

/// A complaint as its page shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = complaints)]
pub struct Complaint {
    pub id: i64,
    pub reference: String,
    pub kind: Kind,
    pub channel: Channel,
    pub customer_id: Option<i64>,
    pub policy_id: Option<i64>,
    pub policy_number_given: Option<String>,
    pub complainant_name: String,
    pub complainant_email: Option<String>,
    pub complainant_phone: Option<String>,
    pub complainant_tax_id: Option<String>,
    pub subject: String,
    pub description: String,
    pub wants_human: bool,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: Status,
    pub assigned_staff_id: Option<i64>,
    pub answer: Option<String>,
    pub outcome: Option<Outcome>,
    pub closed_at: Option<DateTime<Utc>>,
    pub escalated_to: Option<Escalation>,
    pub escalation_reference: Option<String>,
    pub escalated_on: Option<NaiveDate>,
}

/// A complaint with the names its page shows next to it.
#[derive(Debug, Clone)]
pub struct Detail {
    pub complaint: Complaint,
    pub customer_name: Option<String>,
    pub policy_number: Option<String>,
    pub assigned_name: Option<String>,
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Detail>> {
    /// The complaint, its customer's name, its policy's number, its handler's name.
    type Found = (Complaint, Option<String>, Option<String>, Option<String>);
    let row: Option<Found> = complaints::table
        .left_join(customers::table)
        .left_join(policies::table)
        .left_join(
            staff_users::table.on(staff_users::id.nullable().eq(complaints::assigned_staff_id)),
        )
        .filter(complaints::id.eq(id))
        .select((
            Complaint::as_select(),
            customers::display_name.nullable(),
            policies::number.nullable(),
            staff_users::name.nullable(),
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(complaint, customer_name, policy_number, assigned_name)| Detail {
            complaint,
            customer_name,
            policy_number,
            assigned_name,
        },
    ))
}

/// One entry of a complaint's file.
#[derive(Debug, Clone, Queryable)]
pub struct Event {
    pub kind: String,
    pub body: String,
    pub staff_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Event {
    pub fn label(&self) -> &'static str {
        match self.kind.as_str() {
            "received" => "Recibida",
            "note" => "Nota interna",
            "assigned" => "Asignada",
            "answered" => "Contestada",
            "withdrawn" => "Desistida",
            "escalated" => "Llevada a otra instancia",
            "human_requested" => "Pide una persona",
            _ => "Anotación",
        }
    }
}

pub fn events(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<Event>> {
    complaint_events::table
        .left_join(staff_users::table)
        .filter(complaint_events::complaint_id.eq(id))
        .order((complaint_events::created_at, complaint_events::id))
        .select((
            complaint_events::kind,
            complaint_events::body,
            staff_users::name.nullable(),
            complaint_events::created_at,
        ))
        .load(conn)
}

/// A line of the register.
#[derive(Debug, Clone, Queryable)]
pub struct Row {
    pub id: i64,
    pub reference: String,
    pub kind: Kind,
    pub channel: Channel,
    pub complainant_name: String,
    pub subject: String,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: Status,
    pub outcome: Option<Outcome>,
    pub wants_human: bool,
    pub assigned_name: Option<String>,
}

/// Which complaints the register shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    /// Open ones, the nearest deadline first.
    #[default]
    Open,
    /// Open and past their deadline.
    Overdue,
    /// Open and assigned to one staff member.
    AssignedTo(i64),
    /// Every complaint, the newest first.
    All,
}

/// One page of the register.
pub fn list(
    conn: &mut PgConnection,
    filter: Filter,
    today: NaiveDate,
    page: PageNumber,
) -> QueryResult<Numbered<Row>> {
    let mut query = complaints::table
        .left_join(
            staff_users::table.on(staff_users::id.nullable().eq(complaints::assigned_staff_id)),
        )
        .select((
            complaints::id,
            complaints::reference,
            complaints::kind,
            complaints::channel,
            complaints::complainant_name,
            complaints::subject,
            complaints::received_on,
            complaints::due_on,
            complaints::status,
            complaints::outcome,
            complaints::wants_human,
            staff_users::name.nullable(),
        ))
        .limit(PAGE_SIZE + 1)
        .offset(page.offset(PAGE_SIZE))
        .into_boxed();
    query = match filter {
        Filter::Open => query
            .filter(complaints::status.eq(Status::Open.code()))
            .order((complaints::due_on, complaints::id)),
        Filter::Overdue => query
            .filter(complaints::status.eq(Status::Open.code()))
            .filter(complaints::due_on.lt(today))
            .order((complaints::due_on, complaints::id)),
        Filter::AssignedTo(staff) => query
            .filter(complaints::status.eq(Status::Open.code()))
            .filter(complaints::assigned_staff_id.eq(staff))
            .order((complaints::due_on, complaints::id)),
        Filter::All => query.order((complaints::received_on.desc(), complaints::id.desc())),
    };
    Ok(Numbered::assemble(query.load(conn)?, page, PAGE_SIZE))
}

/// A customer's complaints, newest first (their page in the back-office; in e-SORI, under
/// the client's row-level security).
pub fn of_customer(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Vec<Complaint>> {
    complaints::table
        .filter(complaints::customer_id.eq(customer_id))
        .order((complaints::received_on.desc(), complaints::id.desc()))
        .select(Complaint::as_select())
        .limit(200)
        .load(conn)
}

/// Why a change of a complaint was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("no encontrada")]
    NotFound,
    /// It is answered or withdrawn already.
    #[error("Esta reclamación ya está cerrada.")]
    Closed,
    #[error("Elija un empleado en activo del servicio de atención al cliente.")]
    InvalidAssignee,
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for ChangeError {
    fn from(error: diesel::result::Error) -> Self {
        ChangeError::Database(DbError::Query(error))
    }
}

/// Locks the complaint for a change; its status.
fn lock(conn: &mut PgConnection, id: i64) -> Result<Complaint, ChangeError> {
    complaints::table
        .find(id)
        .for_update()
        .select(Complaint::as_select())
        .first(conn)
        .optional()?
        .ok_or(ChangeError::NotFound)
}

fn lock_open(conn: &mut PgConnection, id: i64) -> Result<Complaint, ChangeError> {
    let complaint = lock(conn, id)?;
    if complaint.status != Status::Open {
        return Err(ChangeError::Closed);
    }
    Ok(complaint)
}

/// Active staff who may handle complaints, by name: (id, name).
pub fn handlers(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    use crate::auth::permissions::Permission;
    use crate::auth::staff::Role;
    let roles: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|role| Permission::HandleComplaints.granted_to(*role))
        .map(|role| role.code())
        .collect();
    staff_users::table
        .filter(staff_users::active.eq(true))
        .filter(staff_users::role.eq_any(roles))
        .order((staff_users::name, staff_users::id))
        .select((staff_users::id, staff_users::name))
        .load(conn)
}

/// Gives an open complaint to `staff_id` (or to nobody).
pub fn assign(
    conn: &mut PgConnection,
    id: i64,
    staff_id: Option<i64>,
    by: &Actor,
) -> Result<(), ChangeError> {
    let complaint = lock_open(conn, id)?;
    let name = match staff_id {
        Some(staff) => Some(
            handlers(conn)?
                .into_iter()
                .find(|(id, _)| *id == staff)
                .map(|(_, name)| name)
                .ok_or(ChangeError::InvalidAssignee)?,
        ),
        None => None,
    };
    diesel::update(complaints::table.find(id))
        .set((
            complaints::assigned_staff_id.eq(staff_id),
            complaints::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    let body = match &name {
        Some(name) => format!("Asignada a {name}."),
        None => "Sin asignar.".to_owned(),
    };
    add_event(conn, id, "assigned", &body, by.staff())?;
    by.record(
        conn,
        Action::ComplaintAssigned,
        TARGET,
        id,
        json!({"reference": complaint.reference, "assigned": name.unwrap_or_else(|| "Sin asignar".to_owned())}),
    )?;
    Ok(())
}

/// An internal note (never shown to the complainant); allowed on closed complaints too.
pub fn add_note(
    conn: &mut PgConnection,
    id: i64,
    body: &str,
    by: &Actor,
) -> Result<(), ChangeError> {
    lock(conn, id)?;
    add_event(conn, id, "note", body, by.staff())?;
    diesel::update(complaints::table.find(id))
        .set(complaints::updated_at.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(())
}

/// Sends the reasoned answer with its outcome and closes the complaint; the complainant gets
/// it by e-mail (with where to go if they disagree) when they gave an address.
pub fn answer(
    conn: &mut PgConnection,
    id: i64,
    text: &str,
    outcome: Outcome,
    by: &Actor,
) -> Result<(), ChangeError> {
    let complaint = lock_open(conn, id)?;
    diesel::update(complaints::table.find(id))
        .set((
            complaints::status.eq(Status::Answered.code()),
            complaints::answer.eq(text),
            complaints::outcome.eq(outcome.code()),
            complaints::closed_at.eq(diesel::dsl::now),
            complaints::closed_by_staff_id.eq(by.staff()),
            complaints::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    add_event(
        conn,
        id,
        "answered",
        &format!("Respuesta enviada: {}.", outcome.label().to_lowercase()),
        by.staff(),
    )?;
    by.record(
        conn,
        Action::ComplaintAnswered,
        TARGET,
        id,
        json!({"reference": complaint.reference, "outcome": outcome.label()}),
    )?;
    if let Some(to) = &complaint.complainant_email {
        crate::mail::send(
            conn,
            &crate::mail::Notice::ComplaintAnswered {
                to: to.clone(),
                name: complaint.complainant_name.clone(),
                reference: complaint.reference.clone(),
                outcome: outcome.label().to_owned(),
                answer: text.to_owned(),
            },
        )?;
    }
    Ok(())
}

/// The complainant withdrew: closes the complaint with that outcome and the reason given.
pub fn withdraw(
    conn: &mut PgConnection,
    id: i64,
    reason: &str,
    by: &Actor,
) -> Result<(), ChangeError> {
    lock_open(conn, id)?;
    diesel::update(complaints::table.find(id))
        .set((
            complaints::status.eq(Status::Withdrawn.code()),
            complaints::outcome.eq(Outcome::Withdrawn.code()),
            complaints::closed_at.eq(diesel::dsl::now),
            complaints::closed_by_staff_id.eq(by.staff()),
            complaints::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    add_event(conn, id, "withdrawn", reason, by.staff())?;
    by.record(conn, Action::ComplaintWithdrawn, TARGET, id, json!({}))?;
    Ok(())
}

/// The complainant took the matter to the ombudsman or the DGSFP: where, their reference,
/// and since when.
pub fn escalate(
    conn: &mut PgConnection,
    id: i64,
    to: Escalation,
    reference: &str,
    on: NaiveDate,
    by: &Actor,
) -> Result<(), ChangeError> {
    lock(conn, id)?;
    diesel::update(complaints::table.find(id))
        .set((
            complaints::escalated_to.eq(to.code()),
            complaints::escalation_reference.eq(reference),
            complaints::escalated_on.eq(on),
            complaints::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    add_event(
        conn,
        id,
        "escalated",
        &format!(
            "{}, referencia {reference}, desde el {}.",
            to.label(),
            crate::format::date(on)
        ),
        by.staff(),
    )?;
    by.record(
        conn,
        Action::ComplaintEscalated,
        TARGET,
        id,
        json!({"escalated_to": to.label(), "reference": reference}),
    )?;
    Ok(())
}

/// A client asks, from e-SORI, that a person deal with their complaint (inside their portal
/// transaction: row-level security limits it to their own). `false` when it is not theirs.
pub fn request_human(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    let updated = diesel::update(complaints::table.find(id))
        .filter(complaints::wants_human.eq(false))
        .set((
            complaints::wants_human.eq(true),
            complaints::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    if updated == 1 {
        add_event(
            conn,
            id,
            "human_requested",
            "El cliente pide que le atienda una persona.",
            None,
        )?;
    }
    Ok(updated == 1)
}

/// Open complaints whose deadline is within the warning and were not warned yet: each gets a
/// high-priority task, due on its last day, for its handler (or for every complaints handler
/// when nobody has it). Returns how many complaints were warned.
pub fn warn_due(conn: &mut PgConnection, today: NaiveDate) -> anyhow::Result<usize> {
    let settings = settings(conn)?;
    let last_warned_day = due_on(today, settings.warning_days);
    let due: Vec<(i64, String, NaiveDate, Option<i64>)> = complaints::table
        .filter(complaints::status.eq(Status::Open.code()))
        .filter(complaints::warned_at.is_null())
        .filter(complaints::due_on.le(last_warned_day))
        .order((complaints::due_on, complaints::id))
        .select((
            complaints::id,
            complaints::reference,
            complaints::due_on,
            complaints::assigned_staff_id,
        ))
        .limit(crate::housekeeping::BATCH)
        .for_update()
        .skip_locked()
        .load(conn)?;
    if due.is_empty() {
        return Ok(0);
    }
    let everyone: Vec<i64> = handlers(conn)?.into_iter().map(|(id, _)| id).collect();
    for (id, reference, due_on, assignee) in &due {
        let to = match assignee {
            Some(staff) => vec![*staff],
            None => everyone.clone(),
        };
        let day = crate::format::date(*due_on);
        // Inserted as the system: no staff member created these tasks.
        let rows: Vec<_> = to
            .into_iter()
            .map(|staff| {
                (
                    tasks::title.eq(format!("Contestar la reclamación {reference} antes del {day}")),
                    tasks::description.eq(format!(
                        "El plazo de respuesta del servicio de atención al cliente termina el {day}. Abra la reclamación en Cumplimiento › Reclamaciones."
                    )),
                    tasks::due_date.eq(Some(*due_on)),
                    tasks::priority.eq(crate::tasks::Priority::High.code()),
                    tasks::assignee_staff_id.eq(staff),
                )
            })
            .collect();
        diesel::insert_into(tasks::table)
            .values(rows)
            .execute(conn)?;
        diesel::update(complaints::table.find(id))
            .set(complaints::warned_at.eq(diesel::dsl::now))
            .execute(conn)?;
    }
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn fifteen_working_days_skip_weekends() {
        // Monday 2 March 2026: three weeks of five days.
        assert_eq!(due_on(d(2026, 3, 2), 15), d(2026, 3, 23));
    }

    #[test]
    fn national_holidays_are_skipped() {
        // Received Friday 4 December 2026: 7 December is a Monday, 8 December (Immaculate
        // Conception) a holiday, Christmas and New Year's Day and Epiphany too.
        assert_eq!(due_on(d(2026, 12, 4), 15), d(2026, 12, 29));
        assert_eq!(due_on(d(2026, 12, 18), 15), d(2027, 1, 13));
    }

    #[test]
    fn good_friday_is_skipped() {
        // Good Friday 2027 is 26 March.
        assert_eq!(due_on(d(2027, 3, 24), 2), d(2027, 3, 29));
    }

    #[test]
    fn received_on_a_weekend_counts_from_monday() {
        // Saturday 7 March 2026: Monday 9 is the first working day.
        assert_eq!(due_on(d(2026, 3, 7), 1), d(2026, 3, 9));
        assert_eq!(due_on(d(2026, 3, 7), 15), d(2026, 3, 27));
    }

    #[test]
    fn working_days_between_counts_both_ways() {
        assert_eq!(working_days_between(d(2026, 3, 2), d(2026, 3, 9)), 5);
        assert_eq!(working_days_between(d(2026, 3, 9), d(2026, 3, 2)), -5);
        assert_eq!(working_days_between(d(2026, 3, 2), d(2026, 3, 2)), 0);
        assert_eq!(working_days_between(d(2026, 12, 4), d(2026, 12, 9)), 2);
    }

    #[test]
    fn clock_warns_then_goes_overdue() {
        let due = d(2026, 3, 23);
        assert_eq!(Clock::of(d(2026, 3, 2), due, 3), Clock::OnTime(15));
        assert_eq!(Clock::of(d(2026, 3, 18), due, 3), Clock::DueSoon(3));
        assert_eq!(Clock::of(due, due, 3), Clock::DueSoon(0));
        assert_eq!(Clock::of(d(2026, 3, 25), due, 3), Clock::Overdue(2));
        assert_eq!(Clock::Overdue(2).label(), "Vencida hace 2 días hábiles");
        assert_eq!(Clock::DueSoon(0).label(), "Vence hoy");
        assert_eq!(Clock::OnTime(1).label(), "Queda 1 día hábil");
    }
}
