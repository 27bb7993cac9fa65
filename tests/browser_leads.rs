//! An agent's journey in a real browser: find a lead by its campaign on the board and move it
//! to "contactado" inline, without the page reloading; then lose it, giving the reason in the
//! card itself.

mod browser;
mod common;

use browser::Browser;
use common::{TestApp, create_staff};
use diesel::prelude::*;
use fantoccini::Locator;
use soriano::auth::staff::Role;
use soriano::db::schema::leads;

const PASSWORD: &str = "una clave larga de prueba";

/// Scrolls the element matching `css` into view and clicks it, as a person would.
async fn press(client: &fantoccini::Client, css: &str) -> Result<(), Box<dyn std::error::Error>> {
    let element = client.find(Locator::Css(css)).await?;
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});",
            vec![serde_json::to_value(&element)?],
        )
        .await?;
    element.click().await?;
    Ok(())
}

#[actix_web::test]
async fn an_agent_moves_a_campaign_lead_to_contacted_on_the_board() {
    let mut lead_id = 0;
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        let agent = create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
        lead_id = diesel::insert_into(leads::table)
            .values((
                leads::full_name.eq("Marina Costa Vidal"),
                leads::email.eq(Some("marina@example.com")),
                leads::source.eq("landing"),
                leads::campaign.eq(Some("hogar-otono-2026")),
                leads::utm_campaign.eq(Some("hogar-otono-2026")),
                leads::assigned_staff_id.eq(Some(agent)),
            ))
            .returning(leads::id)
            .get_result(conn)
            .unwrap();
    })
    .await;
    let base = app.address.clone();
    Browser::start(1280, 900)
        .await
        .journey("agent_moves_lead_on_board", |client| async move {
            browser::sign_in(&client, &base, "agente@soriano.es", PASSWORD).await?;
            client.goto(&format!("{base}/admin/leads")).await?;
            let card_css = format!("#col-new article[data-lead='{lead_id}']");
            let card = client.wait().for_element(Locator::Css(&card_css)).await?;
            let text = card.text().await?;
            assert!(text.contains("Marina Costa Vidal"), "{text}");
            assert!(
                text.contains("hogar-otono-2026"),
                "the card shows its campaign: {text}"
            );

            // A marker that a page load would wipe out.
            client
                .execute("window.sorianoNoReload = true;", vec![])
                .await?;
            // A compact card: the stage change is folded away until asked for.
            let height = client
                .execute(
                    "return document.querySelector(arguments[0]).getBoundingClientRect().height;",
                    vec![serde_json::json!(card_css)],
                )
                .await?;
            // With its select, reason field and button unfolded a card was about 330 px tall.
            assert!(
                height.as_f64().is_some_and(|h| h < 220.0),
                "card height {height}"
            );
            assert!(
                !client
                    .find(Locator::Id(&format!("etapa-{lead_id}")))
                    .await?
                    .is_displayed()
                    .await?
            );
            press(&client, &format!("{card_css} .lead-move-menu > summary")).await?;
            let reason = client
                .find(Locator::Id(&format!("motivo-{lead_id}")))
                .await?;
            assert!(!reason.is_displayed().await?, "no reason needed yet");
            client
                .find(Locator::Css(&format!(
                    "#etapa-{lead_id} option[value=contacted]"
                )))
                .await?
                .click()
                .await?;
            let button = client
                .find(Locator::Css(&format!("{card_css} button[type=submit]")))
                .await?;
            client
                .execute(
                    "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});",
                    vec![serde_json::to_value(&button)?],
                )
                .await?;
            button.click().await?;

            let moved_css = format!("#col-contacted article[data-lead='{lead_id}']");
            browser::eventually("the card in the contactado column", || {
                let client = client.clone();
                let moved_css = moved_css.clone();
                async move { client.find(Locator::Css(&moved_css)).await.is_ok() }
            })
            .await?;
            let count = client
                .find(Locator::Css("#col-contacted [data-count]"))
                .await?
                .text()
                .await?;
            assert_eq!(count, "1");
            let still_here = client
                .execute("return window.sorianoNoReload === true;", vec![])
                .await?;
            assert_eq!(still_here, serde_json::json!(true), "no reload");

            // Losing it asks the reason in the card, not in a browser prompt.
            let card_css = moved_css;
            press(&client, &format!("{card_css} .lead-move-menu > summary")).await?;
            client
                .find(Locator::Css(&format!(
                    "#etapa-{lead_id} option[value=lost]"
                )))
                .await?
                .click()
                .await?;
            let reason = client
                .find(Locator::Id(&format!("motivo-{lead_id}")))
                .await?;
            assert!(
                reason.is_displayed().await?,
                "the reason field shows for «perdido»"
            );
            press(&client, &format!("{card_css} button[type=submit]")).await?;
            let error_css = format!("#mover-error-{lead_id}");
            browser::eventually("the refusal in the card", || {
                let client = client.clone();
                let error_css = error_css.clone();
                async move { client.find(Locator::Css(&error_css)).await.is_ok() }
            })
            .await?;
            client
                .find(Locator::Id(&format!("motivo-{lead_id}")))
                .await?
                .send_keys("Ya tiene seguro con otra correduría")
                .await?;
            client
                .find(Locator::Css(&format!(
                    "#etapa-{lead_id} option[value=lost]"
                )))
                .await?
                .click()
                .await?;
            press(&client, &format!("{card_css} button[type=submit]")).await?;
            let lost_css = format!("#col-lost article[data-lead='{lead_id}']");
            browser::eventually("the card in the perdido column", || {
                let client = client.clone();
                let lost_css = lost_css.clone();
                async move { client.find(Locator::Css(&lost_css)).await.is_ok() }
            })
            .await?;
            Ok(())
        })
        .await;
    let stage: String = leads::table
        .find(lead_id)
        .select(leads::stage)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(stage, "lost");
    app.stop().await;
}

/// Drags the card matching `card_css` (by its text, not its link) onto the column `column_css`.
async fn drag(
    client: &fantoccini::Client,
    card_css: &str,
    column_css: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    use std::time::Duration;
    let handle = client
        .find(Locator::Css(&format!("{card_css} > p.muted")))
        .await?;
    let column = client.find(Locator::Css(column_css)).await?;
    let actions = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: handle,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(150)),
            x: 10.0,
            y: 10.0,
        })
        .then(PointerAction::MoveToElement {
            element: column.clone(),
            duration: Some(Duration::from_millis(400)),
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::MoveToElement {
            element: column,
            duration: Some(Duration::from_millis(150)),
            x: 5.0,
            y: 5.0,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    client.perform_actions(actions).await?;
    Ok(())
}

/// Dragging a card to another column moves the lead; dropping it on «perdido» opens the
/// card's form with the reason field focused instead of moving it without a reason.
#[actix_web::test]
async fn an_agent_drags_a_lead_between_stages() {
    let mut lead_id = 0;
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        let agent = create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
        lead_id = diesel::insert_into(leads::table)
            .values((
                leads::full_name.eq("Andrés Ferrer Soler"),
                leads::phone.eq(Some("611223344")),
                leads::source.eq("landing"),
                leads::assigned_staff_id.eq(Some(agent)),
            ))
            .returning(leads::id)
            .get_result(conn)
            .unwrap();
    })
    .await;
    let base = app.address.clone();
    Browser::start(1280, 900)
        .await
        .journey("agent_drags_lead_on_board", |client| async move {
            browser::sign_in(&client, &base, "agente@soriano.es", PASSWORD).await?;
            client.goto(&format!("{base}/admin/leads")).await?;
            let in_new = format!("#col-new article[data-lead='{lead_id}']");
            client.wait().for_element(Locator::Css(&in_new)).await?;
            client
                .execute("window.sorianoNoReload = true;", vec![])
                .await?;

            drag(&client, &in_new, "#col-contacted").await?;
            let in_contacted = format!("#col-contacted article[data-lead='{lead_id}']");
            // The counts come from the server's answer, not from the card being dragged.
            browser::eventually("the lead moved to contactado", || {
                let client = client.clone();
                let in_contacted = in_contacted.clone();
                async move {
                    let count = match client
                        .find(Locator::Css("#col-contacted [data-count]"))
                        .await
                    {
                        Ok(badge) => badge.text().await.unwrap_or_default(),
                        Err(_) => String::new(),
                    };
                    count == "1" && client.find(Locator::Css(&in_contacted)).await.is_ok()
                }
            })
            .await?;
            let still_here = client
                .execute("return window.sorianoNoReload === true;", vec![])
                .await?;
            assert_eq!(still_here, serde_json::json!(true), "no reload");

            // Dropped on «perdido»: the card stays and asks for the reason, focused.
            drag(&client, &in_contacted, "#col-lost").await?;
            browser::eventually("the reason asked in the card", || {
                let client = client.clone();
                async move {
                    client
                        .execute(
                            "return document.activeElement && document.activeElement.id;",
                            vec![],
                        )
                        .await
                        .map(|id| id == serde_json::json!(format!("motivo-{lead_id}")))
                        .unwrap_or(false)
                }
            })
            .await?;
            assert!(client.find(Locator::Css(&in_contacted)).await.is_ok());
            client
                .find(Locator::Id(&format!("motivo-{lead_id}")))
                .await?
                .send_keys("No contesta tras tres llamadas")
                .await?;
            press(&client, &format!("{in_contacted} button[type=submit]")).await?;
            let in_lost = format!("#col-lost article[data-lead='{lead_id}']");
            browser::eventually("the card in the perdido column", || {
                let client = client.clone();
                let in_lost = in_lost.clone();
                async move { client.find(Locator::Css(&in_lost)).await.is_ok() }
            })
            .await?;
            Ok(())
        })
        .await;
    let stage: String = leads::table
        .find(lead_id)
        .select(leads::stage)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(stage, "lost");
    app.stop().await;
}

/// On a phone the board is on the first screen: the filters fold under «Filtros» until asked
/// for (they stay open when a filter is set).
#[actix_web::test]
async fn on_a_phone_the_board_comes_before_the_filters() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    let base = app.address.clone();
    Browser::start(390, 844)
        .await
        .journey("leads_board_phone", |client| async move {
            browser::sign_in(&client, &base, "agente@soriano.es", PASSWORD).await?;
            client.goto(&format!("{base}/admin/leads")).await?;
            client.wait().for_element(Locator::Id("board")).await?;
            let (board_top, height) = {
                let v = client
                    .execute(
                        "return [document.getElementById('board').getBoundingClientRect().top, window.innerHeight];",
                        vec![],
                    )
                    .await?;
                (v[0].as_f64().unwrap_or(f64::MAX), v[1].as_f64().unwrap_or(0.0))
            };
            assert!(board_top < height, "the board on the first screen: {board_top} of {height}");
            assert!(!client.find(Locator::Id("f-q")).await?.is_displayed().await?);
            press(&client, ".filters-panel > summary").await?;
            assert!(client.find(Locator::Id("f-q")).await?.is_displayed().await?);

            client
                .goto(&format!("{base}/admin/leads?origen=landing"))
                .await?;
            client.wait().for_element(Locator::Id("board")).await?;
            assert!(
                client.find(Locator::Id("f-q")).await?.is_displayed().await?,
                "a filter set keeps the panel open"
            );
            Ok(())
        })
        .await;
    app.stop().await;
}
