//! Leads pages (`/admin/leads`): the board by stage with inline moves (htmx) and the
//! filtered list ([`board`]), "Nuevo lead" and the lead's page ([`detail`]), the conversion
//! into a customer ([`convert`]) and the lead source report ([`report`]). Shared here: the
//! filters of the board and the list, and the small helpers every page uses.

mod board;
mod convert;
mod detail;
mod report;

pub use board::{board, export, list, move_stage};
pub use convert::{convert, convert_form};
pub use detail::{assign, create, log_interaction, new_form, set_next_action, show};
pub use report::report;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::audit::Actor;
use crate::auth::permissions::PortfolioScope;
use crate::auth::staff::Role;
use crate::backoffice::CurrentStaff;
use crate::customers::{self, CustomerForm};
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::format;
use crate::leads::{
    self, BoardColumn, Card, ConvertOutcome, ConvertTarget, Filter, LeadError, LeadForm, Stage,
};
use crate::page_or_partial;
use crate::validation::{DayRange, FieldErrors};
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

fn scope_of(staff: &CurrentStaff) -> PortfolioScope {
    PortfolioScope::of(staff.0.id, staff.0.role())
}

fn actor(staff: &CurrentStaff, meta: &RequestMeta) -> Actor {
    Actor::new(&staff.0, &meta.ip, &meta.user_agent)
}

/// "Posible duplicado" of a lead: a link to the other lead when the user may open it,
/// otherwise whose lead it is (an agent's link to a colleague's lead would be a 404).
pub struct DuplicateView {
    pub link: Option<i64>,
    pub text: String,
}

impl DuplicateView {
    pub fn of(other: leads::duplicates::DuplicateOf) -> Self {
        if other.open_to_user {
            Self {
                link: Some(other.id),
                text: format!("el lead n.º {}", other.id),
            }
        } else {
            let agent = other
                .agent_name
                .unwrap_or_else(|| "sin comercial asignado".to_owned());
            Self {
                link: None,
                text: format!("un lead de {agent}"),
            }
        }
    }
}

fn options(pairs: &[(&str, &str)], blank: &str) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), blank.to_owned())];
    out.extend(
        pairs
            .iter()
            .map(|(c, l)| ((*c).to_owned(), (*l).to_owned())),
    );
    out
}

fn id_options(rows: Vec<(i64, String)>, blank: &str) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), blank.to_owned())];
    out.extend(rows.into_iter().map(|(id, name)| (id.to_string(), name)));
    out
}

// ---------------------------------------------------------------------------------------------
// Filters (board and list)

/// The filter form as typed (`GET` parameters, Spanish names).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FilterQuery {
    pub etapa: String,
    pub origen: String,
    pub campana: String,
    pub linea: String,
    pub agente: String,
    pub desde: String,
    pub hasta: String,
    pub q: String,
    pub pagina: String,
}

impl FilterQuery {
    /// The filter; values that do not parse are ignored (a filter, not a form to fix).
    fn filter(&self) -> Filter {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let date = |s: &str| crate::validation::parse_date(s).ok();
        Filter {
            stage: Stage::parse(self.etapa.trim()),
            source: text(&self.origen).filter(|s| leads::SOURCES.iter().any(|(c, _)| c == s)),
            campaign: text(&self.campana),
            line_id: self.linea.trim().parse().ok(),
            agent_id: self.agente.trim().parse().ok(),
            from: date(&self.desde),
            to: date(&self.hasta),
            q: text(&self.q).map(|q| q.chars().take(100).collect()),
        }
    }

    /// The filters as URL parameters (trimmed; empty ones are left out of links).
    fn pairs(&self) -> [(&str, &str); 8] {
        [
            ("etapa", self.etapa.trim()),
            ("origen", self.origen.trim()),
            ("campana", self.campana.trim()),
            ("linea", self.linea.trim()),
            ("agente", self.agente.trim()),
            ("desde", self.desde.trim()),
            ("hasta", self.hasta.trim()),
            ("q", self.q.trim()),
        ]
    }

    /// The query string of the filters (without the page), for links.
    fn query_string(&self) -> String {
        crate::web::listing::url("", &self.pairs(), None)
            .trim_start_matches('?')
            .to_owned()
    }
}

/// The select options of the filter form.
pub struct FilterOptions {
    pub stages: Vec<(String, String)>,
    pub sources: Vec<(String, String)>,
    pub campaigns: Vec<(String, String)>,
    pub lines: Vec<(String, String)>,
    /// Empty for agents (they only see their own leads).
    pub agents: Vec<(String, String)>,
}

async fn filter_options(db: &Db, staff: &CurrentStaff) -> Result<FilterOptions, AppError> {
    let scope = scope_of(staff);
    let is_agent = staff.0.role() == Role::Agent;
    let (campaigns, lines, agents) = db
        .run(move |conn| {
            let campaigns = leads::campaigns(conn, scope)?;
            let lines = crate::catalog::all_lines(conn)?;
            let agents = if is_agent {
                Vec::new()
            } else {
                leads::agents(conn)?
            };
            Ok::<_, DbError>((campaigns, lines, agents))
        })
        .await?;
    let mut stages = vec![(String::new(), "Todas".to_owned())];
    stages.extend(
        Stage::ALL
            .into_iter()
            .map(|s| (s.code().to_owned(), capitalize(s.label()))),
    );
    let mut campaign_options = vec![(String::new(), "Todas".to_owned())];
    campaign_options.extend(campaigns.into_iter().map(|c| (c.clone(), c)));
    Ok(FilterOptions {
        stages,
        sources: options(leads::SOURCES, "Todos"),
        campaigns: campaign_options,
        lines: id_options(lines.into_iter().map(|l| (l.id, l.name)).collect(), "Todos"),
        agents: if agents.is_empty() {
            Vec::new()
        } else {
            id_options(agents, "Todos")
        },
    })
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
