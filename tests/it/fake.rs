//! The fake DS API, driven over real HTTP the way the client drives DS.

use std::collections::BTreeSet;

use base64::Engine as _;
use ds_archive::fake::{Dataset, FakeConfig, FakeServer};
use md5::{Digest as _, Md5};
use serde_json::{json, Value};

const TOKEN: &str = "fake-token";

async fn start() -> FakeServer {
    FakeServer::start(FakeConfig::default())
        .await
        .expect("fake starts")
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// POST a query with `auth` as the Authorization value; (status, body).
async fn post(server: &FakeServer, auth: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = client().post(server.graphql_url()).json(body);
    if let Some(auth) = auth {
        req = req.header("Authorization", auth);
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn gql(server: &FakeServer, query: &str, variables: Value) -> Value {
    let (status, body) = post(
        server,
        Some(&format!("Bearer {TOKEN}")),
        &json!({"query": query, "variables": variables}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// One operation file plus the fragments it uses (transitively): DS, like the
/// fake, rejects documents with unused fragments.
/// The document ds-archive sends for an operation file (operation plus the
/// fragments it uses), as built by the client itself.
fn document(file: &str) -> String {
    use ds_archive::api::Operation;
    let op = match file {
        "demarche.graphql" => Operation::GetDemarche,
        "dossiers.graphql" => Operation::GetDossiers,
        "dossier.graphql" => Operation::GetDossier,
        "deleted.graphql" => Operation::GetDeletedDossiers,
        other => panic!("no operation for {other}"),
    };
    op.document()
}

/// Every `File` object in a JSON tree.
fn files(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(map) => {
            if map.get("__typename").and_then(Value::as_str) == Some("File") {
                out.push(v.clone());
            }
            map.values().for_each(|c| files(c, out));
        }
        Value::Array(items) => items.iter().for_each(|c| files(c, out)),
        _ => {}
    }
}

fn md5_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes))
}

const PAGE: &str = "query p($n: Int!, $first: Int, $after: String, $since: ISO8601DateTime) {
  demarche(number: $n) { dossiers(first: $first, after: $after, updatedSince: $since) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { number dateDepot dateDerniereModification }
    edges { cursor node { number } } } } }";

/// Page through `dossiers`; returns the nodes and the number of pages.
async fn all_pages(server: &FakeServer, first: u32, since: Option<&str>) -> (Vec<Value>, usize) {
    let n = Dataset::sample().demarche_number();
    let mut after: Option<String> = None;
    let mut nodes = Vec::new();
    let mut pages = 0;
    loop {
        let body = gql(
            server,
            PAGE,
            json!({"n": n, "first": first, "after": after, "since": since}),
        )
        .await;
        assert!(body.get("errors").is_none(), "{body}");
        let conn = &body["data"]["demarche"]["dossiers"];
        let page = conn["nodes"].as_array().expect("nodes").clone();
        let edges = conn["edges"].as_array().expect("edges");
        assert_eq!(page.len(), edges.len());
        assert!(page.len() <= first as usize);
        if let Some(last) = edges.last() {
            assert_eq!(conn["pageInfo"]["endCursor"], last["cursor"]);
        }
        nodes.extend(page);
        pages += 1;
        if conn["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    (nodes, pages)
}

#[tokio::test]
async fn bad_or_missing_token_gets_403_with_ds_shape() {
    let server = start().await;
    let expected = json!({"errors": [{"message": "Without a token, only persisted queries are allowed",
        "extensions": {"code": "forbidden"}}], "data": null});
    let q = json!({"query": "{ demarche(number: 12345) { number } }"});
    for auth in [None, Some("Bearer wrong"), Some("Basic fake-token")] {
        let (status, body) = post(&server, auth, &q).await;
        assert_eq!((status, &body), (403, &expected), "{auth:?}");
    }
    for auth in [
        "Bearer fake-token",
        "Bearer token=fake-token",
        "Token token=\"fake-token\"",
    ] {
        let (status, body) = post(&server, Some(auth), &q).await;
        assert_eq!(status, 200, "{auth}");
        assert_eq!(body["data"]["demarche"]["number"], 12345);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn pages_of_7_list_every_dossier_once_in_deposit_order() {
    let server = start().await;
    let (nodes, pages) = all_pages(&server, 7, None).await;
    let numbers: Vec<u64> = nodes
        .iter()
        .map(|n| n["number"].as_u64().expect("number"))
        .collect();
    let expected: BTreeSet<u64> = Dataset::sample().dossier_numbers().into_iter().collect();
    assert_eq!(numbers.len(), expected.len(), "no duplicates, no gaps");
    assert_eq!(numbers.iter().copied().collect::<BTreeSet<_>>(), expected);
    assert_eq!(pages, expected.len().div_ceil(7));
    // Ordered by (dateDepot, number), which is not the number order here.
    let keys: Vec<(i128, u64)> = nodes
        .iter()
        .map(|n| (instant(&n["dateDepot"]), n["number"].as_u64().unwrap_or(0)))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "not in deposit order");
    assert_ne!(
        numbers,
        expected.into_iter().collect::<Vec<_>>(),
        "fixture should not deposit in number order"
    );
    server.shutdown().await;
}

fn instant(v: &Value) -> i128 {
    let s = v.as_str().expect("date string");
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 date")
        .unix_timestamp_nanos()
}

#[tokio::test]
async fn first_above_100_is_capped() {
    let config = FakeConfig {
        dataset: Dataset::generated(4242, 150, 0, 0),
        ..FakeConfig::default()
    };
    let server = FakeServer::start(config).await.expect("start");
    let q = "query { demarche(number: 4242) { dossiers(first: 500) { pageInfo { hasNextPage } nodes { number } } } }";
    let body = gql(&server, q, json!({})).await;
    assert_eq!(
        body["data"]["demarche"]["dossiers"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(100)
    );
    assert_eq!(
        body["data"]["demarche"]["dossiers"]["pageInfo"]["hasNextPage"],
        true
    );
    // No `first` at all: 100 too.
    let q = "query { demarche(number: 4242) { dossiers { nodes { number } } } }";
    let body = gql(&server, q, json!({})).await;
    assert_eq!(
        body["data"]["demarche"]["dossiers"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(100)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn updated_since_filters_and_orders_by_last_modification() {
    let server = start().await;
    let data = Dataset::sample();
    let mut dates: Vec<String> = data
        .dossier_numbers()
        .iter()
        .filter_map(|n| data.dossier_json(*n))
        .map(|d| {
            d["dateDerniereModification"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    dates.sort_by_key(|d| instant(&json!(d)));
    let since = dates[dates.len() / 2].clone();
    let expected = dates
        .iter()
        .filter(|d| instant(&json!(d)) >= instant(&json!(since)))
        .count();
    let (nodes, _) = all_pages(&server, 5, Some(&since)).await;
    assert_eq!(nodes.len(), expected);
    let keys: Vec<(i128, u64)> = nodes
        .iter()
        .map(|n| {
            (
                instant(&n["dateDerniereModification"]),
                n["number"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert!(keys.iter().all(|(t, _)| *t >= instant(&json!(since))));
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "not in modification order"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn projection_returns_only_selected_fields_and_typed_champs_need_fragments() {
    let server = start().await;
    let n = Dataset::sample().dossier_numbers()[0];
    let q = "query d($n: Int!) { dossier(number: $n) { num: number champs { __typename id
        ... on TextChamp { text: value } ... on AddressChamp { address { cityName } } } } }";
    let body = gql(&server, q, json!({"n": n})).await;
    let dossier = body["data"]["dossier"].as_object().expect("dossier");
    assert_eq!(dossier.keys().collect::<Vec<_>>(), ["num", "champs"]);
    let champs = dossier["champs"].as_array().expect("champs");
    let address = champs
        .iter()
        .find(|c| c["__typename"] == "AddressChamp")
        .expect("typed address champ");
    assert_eq!(address.as_object().map(|o| o.len()), Some(3), "{address}");
    assert!(address["address"]["cityName"].is_string());
    for c in champs {
        let extra = if c["__typename"] == "TextChamp" || c["__typename"] == "AddressChamp" {
            3
        } else {
            2
        };
        assert!(c.as_object().map(|o| o.len()) <= Some(extra), "{c}");
    }
    // Without a fragment on AddressChamp, DS reports it as a TextChamp.
    let q = "query d($n: Int!) { dossier(number: $n) { champs { __typename label } } }";
    let body = gql(&server, q, json!({"n": n})).await;
    let labels: Vec<&Value> = body["data"]["dossier"]["champs"]
        .as_array()
        .expect("champs")
        .iter()
        .filter(|c| c["label"] == "Adresse du projet")
        .collect();
    assert_eq!(labels.len(), 1);
    assert_eq!(labels[0]["__typename"], "TextChamp");
    // Nor an explication without a fragment on ExplicationChamp.
    let explication = body["data"]["dossier"]["champs"]
        .as_array()
        .expect("champs")
        .iter()
        .find(|c| c["label"] == "Pièces à fournir")
        .expect("the sample's explication");
    assert_eq!(explication["__typename"], "TextChamp");
    let q = "query d($n: Int!) { dossier(number: $n) { champs { __typename label
        ... on ExplicationChamp { __typename } } } }";
    let body = gql(&server, q, json!({"n": n})).await;
    let typed = body["data"]["dossier"]["champs"]
        .as_array()
        .expect("champs")
        .iter()
        .any(|c| c["__typename"] == "ExplicationChamp");
    assert!(typed, "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn our_documents_run_clean_and_return_every_file_with_matching_md5() {
    let server = start().await;
    let data = server.dataset().snapshot();
    let n = data.demarche_number();
    for (file, vars) in [
        ("demarche.graphql", json!({"demarcheNumber": n})),
        (
            "deleted.graphql",
            json!({"demarcheNumber": n, "first": 100}),
        ),
    ] {
        let body = gql(&server, &document(file), vars).await;
        assert!(body.get("errors").is_none(), "{file}: {}", body["errors"]);
        assert!(body["data"]["demarche"].is_object(), "{file}");
    }
    let body = gql(
        &server,
        &document("dossiers.graphql"),
        json!({"demarcheNumber": n, "first": 100}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{}", body["errors"]);
    let nodes = body["data"]["demarche"]["dossiers"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert_eq!(nodes.len(), data.dossier_numbers().len());
    let http = client();
    for dossier in &nodes {
        let number = dossier["number"].as_u64().expect("number");
        let mut found = Vec::new();
        files(dossier, &mut found);
        let stored = data.file_contents(number);
        // Every stored file plus the generated PDF.
        assert_eq!(found.len(), stored.len() + 1, "dossier {number}");
        for file in &found {
            let url = file["url"].as_str().expect("url");
            let resp = http.get(url).send().await.expect("download");
            assert_eq!(resp.status(), 200, "{url}");
            let bytes = resp.bytes().await.expect("body");
            if file["checksum"] == "" {
                assert_eq!(file["byteSizeBigInt"], "0");
                assert!(bytes.starts_with(b"%PDF"));
                continue;
            }
            assert_eq!(
                file["checksum"].as_str(),
                Some(md5_b64(&bytes).as_str()),
                "{}",
                file["filename"]
            );
            assert_eq!(
                file["byteSizeBigInt"].as_str(),
                Some(bytes.len().to_string().as_str())
            );
            assert_eq!(file["virusScanResult"], "safe");
            let name = file["filename"].as_str().expect("filename");
            assert!(
                stored.iter().any(|(f, b)| f == name && b[..] == bytes[..]),
                "{name} differs from the source"
            );
        }
    }
    // getDossier, for each dossier.
    for number in data.dossier_numbers() {
        let body = gql(
            &server,
            &document("dossier.graphql"),
            json!({"dossierNumber": number}),
        )
        .await;
        assert!(body.get("errors").is_none(), "{number}: {}", body["errors"]);
        assert_eq!(body["data"]["dossier"]["number"], number);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_numbers_bad_documents_and_methods() {
    let server = start().await;
    let body = gql(&server, "{ demarche(number: 1) { number } }", json!({})).await;
    assert_eq!(body["data"], Value::Null);
    assert_eq!(body["errors"][0]["message"], "Demarche not found");
    assert_eq!(body["errors"][0]["extensions"]["code"], "not_found");
    let body = gql(&server, "{ dossier(number: 1) { number } }", json!({})).await;
    assert_eq!(body["errors"][0]["message"], "Dossier not found");
    assert_eq!(body["errors"][0]["extensions"]["code"], "not_found");
    // Validation error: HTTP 200, errors, no data.
    let body = gql(&server, "{ demarche(number: 12345) { nope } }", json!({})).await;
    let errors = body["errors"].as_array().expect("errors");
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().is_some_and(|m| m.contains("nope"))),
        "{body}"
    );
    assert!(body.get("data").is_none());
    // Parse error: HTTP 400.
    let (status, body) = post(
        &server,
        Some("Bearer fake-token"),
        &json!({"query": "{ demarche("}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "graphql_parse_failed"
    );
    // Variables as a JSON-encoded string.
    let q = json!({"query": "query q($n: Int!) { demarche(number: $n) { title } }", "variables": "{\"n\": 12345}"});
    let (status, body) = post(&server, Some("Bearer fake-token"), &q).await;
    assert_eq!(status, 200);
    assert!(body["data"]["demarche"]["title"].is_string());
    // GET is not routed.
    let resp = client()
        .get(server.graphql_url())
        .send()
        .await
        .expect("get");
    assert!(matches!(resp.status().as_u16(), 404 | 405));
    server.shutdown().await;
}

const FILE_Q: &str = "query d($n: Int!) { dossier(number: $n) { pdf { url checksum }
  champs { ... on PieceJustificativeChamp { files { filename checksum url } } } } }";

async fn first_file(server: &FakeServer, number: u64) -> (String, String, String) {
    let body = gql(server, FILE_Q, json!({"n": number})).await;
    let mut found = Vec::new();
    for c in body["data"]["dossier"]["champs"]
        .as_array()
        .expect("champs")
    {
        for f in c["files"].as_array().into_iter().flatten() {
            found.push(f.clone());
        }
    }
    let f = &found[0];
    let s = |k: &str| f[k].as_str().expect(k).to_owned();
    (s("filename"), s("checksum"), s("url"))
}

#[tokio::test]
async fn signed_urls_expire_and_cannot_be_forged() {
    let server = start().await;
    let n = Dataset::sample().dossier_numbers()[0];
    let http = client();
    let (_, _, url) = first_file(&server, n).await;
    assert_eq!(http.get(&url).send().await.expect("get").status(), 200);
    let forged = url.replace("expires=", "expires=9");
    assert_eq!(http.get(&forged).send().await.expect("get").status(), 403);
    server.faults().set_url_ttl_secs(0);
    let (_, _, expired) = first_file(&server, n).await;
    assert_eq!(http.get(&expired).send().await.expect("get").status(), 403);
    let body = gql(&server, FILE_Q, json!({"n": n})).await;
    let pdf = body["data"]["dossier"]["pdf"]["url"]
        .as_str()
        .expect("pdf url");
    assert_eq!(http.get(pdf).send().await.expect("get").status(), 403);
    // A fresh query with a sane TTL gives a working URL again.
    server.faults().set_url_ttl_secs(3600);
    let (_, _, fresh) = first_file(&server, n).await;
    assert_eq!(http.get(&fresh).send().await.expect("get").status(), 200);
    server.shutdown().await;
}

#[tokio::test]
async fn rate_limit_answers_429_like_ds() {
    let config = FakeConfig {
        rate_limit_per_minute: 3,
        ..FakeConfig::default()
    };
    let server = FakeServer::start(config).await.expect("start");
    let q = "{ demarche(number: 12345) { number } }";
    let mut limited = None;
    // 3 per window; a window boundary may reset the count once.
    for i in 0..8 {
        let resp = client()
            .post(server.graphql_url())
            .bearer_auth(TOKEN)
            .json(&json!({"query": q}))
            .send()
            .await
            .expect("post");
        if resp.status() == 429 {
            limited = Some((i, resp));
            break;
        }
        assert_eq!(resp.status(), 200);
    }
    let (i, resp) = limited.expect("a 429 within 8 requests");
    assert!(i >= 3);
    let headers = resp.headers().clone();
    assert_eq!(
        headers
            .get("ratelimit-remaining")
            .and_then(|v| v.to_str().ok()),
        Some("0")
    );
    let reset: u64 = headers
        .get("ratelimit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("RateLimit-Reset");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert_eq!(reset % 60, 0);
    assert!(
        reset > now.saturating_sub(1) && reset <= now + 60,
        "reset {reset} now {now}"
    );
    assert!(headers.get("retry-after").is_none());
    let text = resp.text().await.expect("body");
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "429 body must be plain text: {text}"
    );
    assert!(server.stats().rate_limited >= 1);
    server.shutdown().await;
}

#[tokio::test]
async fn graphql_fault_switches() {
    let server = start().await;
    let faults = server.faults();
    let q = json!({"query": "query probe { demarche(number: 12345) { dossiers(first: 100) { pageInfo { hasNextPage } nodes { number } } } }",
                   "operationName": "probe"});
    let auth = Some("Bearer fake-token");

    faults.fail_graphql(2, 503);
    assert_eq!(post(&server, auth, &q).await.0, 503);
    assert_eq!(post(&server, auth, &q).await.0, 503);
    assert_eq!(post(&server, auth, &q).await.0, 200);
    faults.fail_graphql(1, 500);
    let (status, body) = post(&server, auth, &q).await;
    assert_eq!(status, 500);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "internal_server_error"
    );

    faults.timeout_graphql(1);
    let (status, body) = post(&server, auth, &q).await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "timeout");
    assert!(body["data"]["demarche"]["dossiers"]["pageInfo"].is_object());
    assert_eq!(body["data"]["demarche"]["dossiers"]["nodes"], Value::Null);
    let (_, body) = post(&server, auth, &q).await;
    assert!(body.get("errors").is_none());

    // Only big pages time out; a smaller page passes and leaves the switch armed.
    faults.timeout_graphql_when_first_above(1, 50);
    let small = json!({"query": "{ demarche(number: 12345) { dossiers(first: 20) { nodes { number } } } }"});
    let (_, body) = post(&server, auth, &small).await;
    assert!(body.get("errors").is_none());
    let (_, body) = post(&server, auth, &q).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "timeout");
    let (_, body) = post(&server, auth, &q).await;
    assert!(body.get("errors").is_none());

    faults.close_graphql_connections(1);
    let broken = client()
        .post(server.graphql_url())
        .bearer_auth(TOKEN)
        .json(&q)
        .send()
        .await;
    let broken = match broken {
        Ok(resp) => resp.bytes().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(broken.is_err(), "the connection should have dropped");
    assert_eq!(post(&server, auth, &q).await.0, 200);

    let stats = server.stats();
    assert_eq!(stats.graphql_requests, 11);
    assert_eq!(stats.graphql_by_operation.get("probe").copied(), Some(10));
    assert_eq!(stats.graphql_by_operation.get("").copied(), Some(1));
    server.shutdown().await;
}

#[tokio::test]
async fn documents_over_ds_complexity_cap_are_refused_before_they_run() {
    let server = start().await;
    let auth = Some("Bearer fake-token");
    let page = |first: u32| json!({"query": format!("{{ demarche(number: 12345) {{ a: dossiers(first: {first}) {{ nodes {{ ...D }} }} b: dossiers(first: {first}) {{ nodes {{ ...D }} }} }} }} fragment D on Dossier {{ number state champs {{ id label stringValue }} }}")});
    server.faults().set_max_complexity(Some(1000));
    // Two aliased connections of 100: 1 + 2 × (100 × 6 + 1 + 1).
    let (status, body) = post(&server, auth, &page(100)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["message"],
        "Query has complexity of 1205, which exceeds max complexity of 1000",
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
    let (_, body) = post(&server, auth, &page(50)).await;
    assert!(body.get("errors").is_none(), "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn operation_faults_hit_only_their_operation_in_order() {
    use ds_archive::fake::GraphqlFault::{Close, Status, Timeout, TimeoutWithoutData};
    let server = start().await;
    let auth = Some("Bearer fake-token");
    let demarche = json!({"query": "query getDemarche { demarche(number: 12345) { number title service { nom } revisions { id } } }",
                          "operationName": "getDemarche"});
    let other = json!({"query": "query probe { demarche(number: 12345) { number } }",
                       "operationName": "probe"});
    server.faults().fail_operation(
        "getDemarche",
        [Timeout, Status(502), TimeoutWithoutData, Close],
    );

    // graphql-ruby's timeout with partial data: the rest of the démarche is
    // there, what ran out of time is null.
    assert_eq!(post(&server, auth, &other).await.0, 200);
    let (status, body) = post(&server, auth, &demarche).await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "timeout");
    assert_eq!(body["data"]["demarche"]["number"], 12345);
    assert_eq!(body["data"]["demarche"]["revisions"], Value::Null);

    assert_eq!(post(&server, auth, &demarche).await.0, 502);
    let (status, body) = post(&server, auth, &demarche).await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "timeout");
    assert_eq!(body["data"], Value::Null);
    let dropped = client()
        .post(server.graphql_url())
        .bearer_auth(TOKEN)
        .json(&demarche)
        .send()
        .await;
    assert!(match dropped {
        Ok(resp) => resp.bytes().await.is_err(),
        Err(_) => true,
    });
    let (status, body) = post(&server, auth, &demarche).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    assert!(body["data"]["demarche"]["revisions"].is_array());
    server.shutdown().await;
}

#[tokio::test]
async fn download_fault_switches() {
    let server = start().await;
    let faults = server.faults();
    let n = Dataset::sample().dossier_numbers()[0];
    let (filename, checksum, url) = first_file(&server, n).await;
    let http = client();

    faults.fail_downloads(1, 502);
    assert_eq!(http.get(&url).send().await.expect("get").status(), 502);
    assert_eq!(http.get(&url).send().await.expect("get").status(), 200);

    faults.cut_downloads(1);
    let resp = http.get(&url).send().await.expect("headers arrive");
    assert_eq!(resp.status(), 200);
    assert!(resp.content_length().is_some_and(|l| l > 0));
    assert!(resp.bytes().await.is_err(), "a cut body must fail");
    let whole = http
        .get(&url)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    assert_eq!(md5_b64(&whole), checksum);

    faults.corrupt_file(n, &filename);
    for _ in 0..2 {
        let bytes = http
            .get(&url)
            .send()
            .await
            .expect("get")
            .bytes()
            .await
            .expect("body");
        assert_eq!(bytes.len(), whole.len());
        assert_ne!(md5_b64(&bytes), checksum);
    }
    faults.clear();
    faults.set_slow_body(Some(std::time::Duration::from_millis(1)));
    let bytes = http
        .get(&url)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    assert_eq!(md5_b64(&bytes), checksum);
    assert!(server.stats().file_requests >= 7);
    server.shutdown().await;
}

#[tokio::test]
async fn dataset_mutations_show_up_in_incremental_queries() {
    let server = start().await;
    let data = server.dataset();
    let numbers = data.dossier_numbers();
    let before = "2030-01-01"; // after every fixture date, before nothing else
    let q = "query q($s: ISO8601DateTime) { demarche(number: 12345) {
        dossiers(updatedSince: $s) { nodes { number motivation } }
        deletedDossiers { nodes { number reason state } }
        pendingDeletedDossiers { nodes { number reason } } } }";
    let body = gql(&server, q, json!({"s": before})).await;
    assert_eq!(body["data"]["demarche"]["dossiers"]["nodes"], json!([]));

    let changed = numbers[3];
    let ok = data
        .update_dossier(changed, |d| d["motivation"] = json!("Motivation révisée"))
        .expect("update");
    assert!(ok);
    let mut added = data.dossier_json(numbers[0]).expect("template");
    added["number"] = json!(2_000_001);
    added["dateDerniereModification"] = json!("2031-05-01T10:00:00+02:00");
    added["champs"] = json!([{"__typename": "PieceJustificativeChamp", "id": "Q2hhbXAtOTk=", "champDescriptorId": "Q2hhbXAtOTk=",
        "label": "Nouvelle pièce", "stringValue": "nouveau.txt", "updatedAt": "2031-05-01T10:00:00+02:00", "prefilled": false,
        "files": [{"__typename": "File", "filename": "nouveau.txt", "contentType": "text/plain",
                   "createdAt": "2031-05-01T10:00:00+02:00", "content": "text:contenu ajouté"}]}]);
    data.add_dossier(added).expect("add");
    assert!(data.delete_dossier(numbers[5], "user_request", true));
    assert!(data.delete_dossier(numbers[6], "expired", false));

    let body = gql(&server, q, json!({"s": "2024-06-01"})).await;
    let listed: Vec<u64> = body["data"]["demarche"]["dossiers"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["number"].as_u64())
        .collect();
    assert!(
        listed.contains(&changed) && listed.contains(&2_000_001),
        "{listed:?}"
    );
    let node = body["data"]["demarche"]["dossiers"]["nodes"]
        .as_array()
        .and_then(|a| a.iter().find(|n| n["number"] == changed))
        .expect("changed node");
    assert_eq!(node["motivation"], "Motivation révisée");
    let deleted = &body["data"]["demarche"]["deletedDossiers"]["nodes"];
    assert!(deleted
        .as_array()
        .expect("deleted")
        .iter()
        .any(|d| d["number"] == numbers[6] && d["reason"] == "expired"));
    let pending = &body["data"]["demarche"]["pendingDeletedDossiers"]["nodes"];
    assert!(pending
        .as_array()
        .expect("pending")
        .iter()
        .any(|d| d["number"] == numbers[5]));
    let (all, _) = all_pages(&server, 100, None).await;
    assert!(all
        .iter()
        .all(|d| d["number"] != numbers[5] && d["number"] != numbers[6]));
    assert_eq!(
        data.file_contents(2_000_001),
        vec![(
            "nouveau.txt".to_owned(),
            "contenu ajouté".as_bytes().to_vec()
        )]
    );
    let body = gql(&server, "{ dossier(number: 2000001) { champs { ... on PieceJustificativeChamp { files { checksum url } } } } }", json!({})).await;
    let url = body["data"]["dossier"]["champs"][0]["files"][0]["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let bytes = client()
        .get(&url)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("body");
    assert_eq!(&bytes[..], "contenu ajouté".as_bytes());
    server.shutdown().await;
}
