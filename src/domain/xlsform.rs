//! The verification form of a program as an XLSForm (issue 14, item 3;
//! docs/DECISIONS.md "ODK and KoBo forms"): the three sheets `survey`,
//! `choices` and `settings` that ODK Collect and KoBoCollect run offline,
//! as rows of text. The field names are the ones the submissions reader
//! (`crate::import::odk_export`) looks for in the form's CSV export, so the
//! two are written side by side. No I/O here; the workbook is written by the
//! API.

use sha2::{Digest, Sha256};

use crate::domain::program::VerificationResult;

/// A sheet of the form: its name, column headers and rows.
pub struct FormSheet {
    pub name: &'static str,
    pub headers: &'static [&'static str],
    pub rows: Vec<Vec<String>>,
}

/// A desa of the program's targets, a choice of the first question.
#[derive(Debug, Clone)]
pub struct DesaChoice {
    pub code: String,
    pub name: String,
}

/// A target as the verifier picks it: the family is named by what a
/// verifier may read of it (head's name, address, desa) and its No. KK
/// masked, so two families of one name can be told apart without the whole
/// number travelling on the phone.
#[derive(Debug, Clone)]
pub struct TargetChoice {
    pub target_id: String,
    pub desa_code: String,
    pub label: String,
}

/// What the form is built from.
pub struct FormSource<'a> {
    pub program_id: &'a str,
    pub program_title: &'a str,
    pub desa: &'a [DesaChoice],
    pub targets: &'a [TargetChoice],
}

/// Field names shared with the export reader.
pub mod field {
    pub const DESA: &str = "desa";
    pub const TARGET: &str = "target_id";
    pub const VISITED_ON: &str = "visited_on";
    pub const RESULT: &str = "result";
    pub const NOTES: &str = "notes";
    pub const LOCATION: &str = "location";
    pub const CONSENT: &str = "consent_to_share";
    pub const PHOTO: &str = "photo";
    /// ODK's `end` metadata: when the verifier finished the form on the phone.
    pub const END: &str = "end";
}

/// The choice names of the consent question.
pub const YES: &str = "yes";
pub const NO: &str = "no";

/// Longest notes, characters (as `POST /verifications`).
const NOTES_MAX: usize = 2000;

const SURVEY_HEADERS: &[&str] = &[
    "type",
    "name",
    "label",
    "hint",
    "required",
    "constraint",
    "constraint_message",
    "appearance",
    "choice_filter",
    "parameters",
];
const CHOICES_HEADERS: &[&str] = &["list_name", "name", "label", "desa"];
const SETTINGS_HEADERS: &[&str] = &["form_title", "form_id", "version", "instance_name"];

/// The Indonesian label a verifier reads for each result (also the
/// agreement annex's, `api::program_annex`).
pub fn result_label(r: VerificationResult) -> &'static str {
    match r {
        VerificationResult::Eligible => "Layak dibantu",
        VerificationResult::Ineligible => "Tidak layak",
        VerificationResult::NotFound => "Tidak ditemukan",
        VerificationResult::Moved => "Pindah",
        VerificationResult::Deceased => "Kepala keluarga meninggal",
        VerificationResult::AlreadyAssisted => "Sudah dibantu program lain",
    }
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// The three sheets of the form.
pub fn sheets(src: &FormSource<'_>) -> Vec<FormSheet> {
    use field::*;
    let survey = vec![
        row(&["start", "start"]),
        row(&[END, END]),
        row(&[
            "select_one desa",
            DESA,
            "Desa/kelurahan",
            "Desa tempat keluarga sasaran tinggal",
            "yes",
        ]),
        row(&[
            "select_one target",
            TARGET,
            "Keluarga sasaran",
            "Nama kepala keluarga, alamat, desa, No. KK tersamar",
            "yes",
            "",
            "",
            "autocomplete",
            "desa=${desa}",
        ]),
        row(&[
            "date",
            VISITED_ON,
            "Tanggal kunjungan",
            "",
            "yes",
            ". <= today()",
            "Tanggal kunjungan tidak boleh di masa depan",
        ]),
        row(&["select_one result", RESULT, "Hasil verifikasi", "", "yes"]),
        row(&[
            "text",
            NOTES,
            "Catatan",
            "Kondisi rumah dan keluarga",
            "",
            &format!("string-length(.) <= {NOTES_MAX}"),
            &format!("Paling banyak {NOTES_MAX} karakter"),
            "multiline",
        ]),
        row(&["geopoint", LOCATION, "Lokasi rumah"]),
        row(&[
            "select_one yes_no",
            CONSENT,
            "Keluarga setuju datanya dibagikan kepada perusahaan pelaksana program?",
        ]),
        row(&[
            "image",
            PHOTO,
            "Foto rumah",
            "Unggah fotonya ke kunjungan ini lewat API setelah sinkron",
            "",
            "",
            "",
            "",
            "",
            "max-pixels=1600",
        ]),
    ];

    let mut choices = Vec::new();
    for d in src.desa {
        choices.push(row(&["desa", &d.code, &d.name]));
    }
    for t in src.targets {
        choices.push(row(&["target", &t.target_id, &t.label, &t.desa_code]));
    }
    for r in VerificationResult::ALL {
        choices.push(row(&["result", r.as_str(), result_label(r)]));
    }
    choices.push(row(&["yes_no", YES, "Ya"]));
    choices.push(row(&["yes_no", NO, "Tidak"]));

    let settings = vec![row(&[
        &format!("Verifikasi: {}", src.program_title),
        &form_id(src.program_id),
        &version(&choices),
        "concat(${visited_on}, ' ', ${target_id})",
    ])];

    vec![
        FormSheet {
            name: "survey",
            headers: SURVEY_HEADERS,
            rows: survey,
        },
        FormSheet {
            name: "choices",
            headers: CHOICES_HEADERS,
            rows: choices,
        },
        FormSheet {
            name: "settings",
            headers: SETTINGS_HEADERS,
            rows: settings,
        },
    ]
}

/// The form's id: one per program, so ODK Central and KoBo keep each
/// program's submissions apart (an XML name: letters, digits, `_`).
pub fn form_id(program_id: &str) -> String {
    let short: String = program_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect();
    format!("rbpk_verifikasi_{short}")
}

/// The form's version: a digest of its choices, so a form fetched again
/// with the same targets is the same version and a changed target list is a
/// new one (ODK Central refuses a changed form under an old version).
fn version(choices: &[Vec<String>]) -> String {
    let mut hash = Sha256::new();
    for r in choices {
        for c in r {
            hash.update(c.as_bytes());
            hash.update([0x1f]);
        }
        hash.update([0x1e]);
    }
    let digest = hash.finalize();
    digest[..5].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source<'a>(desa: &'a [DesaChoice], targets: &'a [TargetChoice]) -> FormSource<'a> {
        FormSource {
            program_id: "0b8f6a52-7c1e-4d3a-9f2b-5e6d7c8b9a01",
            program_title: "Bedah rumah",
            desa,
            targets,
        }
    }

    #[test]
    fn the_targets_are_choices_filtered_by_desa_and_the_version_follows_them() {
        let desa = vec![DesaChoice {
            code: "64.02.06.2001".into(),
            name: "Jahab".into(),
        }];
        let mut targets = vec![TargetChoice {
            target_id: "t-1".into(),
            desa_code: "64.02.06.2001".into(),
            label: "Budi — RT 01 (KK …0011)".into(),
        }];
        let first = sheets(&source(&desa, &targets));
        assert_eq!(
            first.iter().map(|s| s.name).collect::<Vec<_>>(),
            ["survey", "choices", "settings"]
        );
        let choices = &first[1].rows;
        assert!(choices.contains(&row(&[
            "target",
            "t-1",
            "Budi — RT 01 (KK …0011)",
            "64.02.06.2001"
        ])));
        assert!(choices.contains(&row(&[
            "result",
            "already_assisted",
            "Sudah dibantu program lain"
        ])));
        let settings = &first[2].rows[0];
        assert_eq!(settings[1], "rbpk_verifikasi_0b8f6a527c1e");
        // The same targets give the same version; another target a new one.
        assert_eq!(sheets(&source(&desa, &targets))[2].rows[0][2], settings[2]);
        targets[0].label = "Budi — RT 02 (KK …0011)".into();
        assert_ne!(sheets(&source(&desa, &targets))[2].rows[0][2], settings[2]);
    }
}
