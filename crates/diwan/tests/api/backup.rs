//! Backups taken while Diwan files cases restore every committed case and
//! audit record: `diwan backup` (SQLite's `VACUUM INTO`) on SQLite, the
//! standard `pg_dump` and `pg_restore` on PostgreSQL.

use crate::helpers::{backend, Backend, TestApp};
use crate::process::{count, create_postgres_database, drop_postgres_database, has_create_audit};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_load_restores_every_committed_case_and_audit_record() {
    let app = Arc::new(TestApp::spawn().await);
    let clerk = app.sign_in("clerk.tripoli").await;
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for w in 0..4 {
        let (app, clerk, acked, stop) = (app.clone(), clerk.clone(), acked.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let c = app
                    .file_case(&clerk, "budget_transfer", &format!("backup-{w}-{i}"), true)
                    .await;
                acked
                    .lock()
                    .unwrap()
                    .push(c["id"].as_str().unwrap().to_owned());
                i += 1;
            }
        }));
    }
    while acked.lock().unwrap().len() < 30 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Everything acknowledged before the backup starts must be in it.
    let before: Vec<String> = acked.lock().unwrap().clone();
    let restored_url = match backend() {
        Backend::Sqlite => {
            let file = app.settings.data_dir.join("backup.db");
            app.services
                .store
                .backup(&file)
                .await
                .expect("an online backup");
            // A second backup to the same file is refused, not overwritten.
            assert!(app.services.store.backup(&file).await.is_err());
            // Restored into a fresh data directory, as the operator's guide says.
            let fresh = app.settings.data_dir.join("restored");
            std::fs::create_dir_all(&fresh).unwrap();
            std::fs::rename(&file, fresh.join("diwan.db")).unwrap();
            format!("sqlite://{}", fresh.join("diwan.db").display())
        }
        Backend::Postgres => {
            let dump = app.settings.data_dir.join("backup.dump");
            let out = std::process::Command::new("pg_dump")
                .args(["--format=custom", "--file"])
                .arg(&dump)
                .arg(app.database_url())
                .output()
                .expect("pg_dump runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let name = format!("diwan_restored_{}", uuid::Uuid::now_v7().simple());
            let url = create_postgres_database(&name).await;
            let out = std::process::Command::new("pg_restore")
                .args(["--no-owner", "--dbname"])
                .arg(&url)
                .arg(&dump)
                .output()
                .expect("pg_restore runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            url
        }
    };
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("a filing client");
    }
    let after = acked.lock().unwrap().len();
    assert!(after > before.len(), "filing went on during the backup");

    // Diwan opens the restored database and finds every case acknowledged
    // before the backup, with its audit record.
    let mut settings = diwan::Settings::new(app.settings.data_dir.join("restored"));
    settings.database_url = Some(restored_url.clone());
    settings.files = app.settings.files.clone();
    let restored = diwan::build_services(&settings)
        .await
        .expect("open the restored database");
    let mut tx = restored.store.read().await.unwrap();
    for id in &before {
        let id = uuid::Uuid::parse_str(id).unwrap();
        assert!(
            tx.get_case(id).await.unwrap().is_some(),
            "case {id} missing from the backup"
        );
        let q = diwan_store::AuditQuery {
            object_id: Some(id.to_string()),
            action_prefix: Some("case.create".into()),
            limit: 5,
            ..Default::default()
        };
        assert_eq!(tx.search_audit(&q).await.unwrap().len(), 1, "audit of {id}");
    }
    drop(tx);
    // The copy is consistent: no case without its audit record.
    let orphans = count(
        &restored_url,
        &format!(
            "SELECT COUNT(*) FROM cases c WHERE NOT {}",
            has_create_audit(&restored_url)
        ),
    )
    .await;
    assert_eq!(orphans, 0, "cases in the backup without their audit record");
    drop(restored);
    if backend() == Backend::Postgres {
        let name = restored_url.rsplit('/').next().unwrap().to_owned();
        drop_postgres_database(&name).await;
    }
    if let Ok(app) = Arc::try_unwrap(app) {
        app.stop().await;
    }
}
