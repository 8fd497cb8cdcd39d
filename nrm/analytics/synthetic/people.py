"""Names and dates of birth for synthetic referrals (for filling a development database).

:func:`generate_people` gives every referral a name and date of birth; a person referred more
than once (same ``person_id``) keeps the same name and date of birth. Names come from a Faker
locale fitting the person's first nationality where Faker has names for one (native script,
e.g. Vietnamese, Persian, Chinese), otherwise ``en_GB``. Dates of birth are vectorised; names are
drawn per person (Faker has no vectorised interface), which is fine for the small numbers
(a few thousand) this is meant for.
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl
import pyarrow as pa
from faker import Faker
from faker.config import AVAILABLE_LOCALES

from nrm.analytics import extract_schema as xs

__all__ = ["FALLBACK_LOCALE", "NATIONALITY_LOCALES", "generate_people", "locale_for"]

FALLBACK_LOCALE = "en_GB"

NATIONALITY_LOCALES: dict[str, str] = {
    "UK": "en_GB", "Irish": "en_IE", "American": "en_US", "Canadian": "en_CA", "Australian": "en_AU",
    "New Zealander": "en_NZ", "Albanian": "sq_AL", "Kosovan": "sq_AL", "Vietnamese": "vi_VN",
    "Eritrean": "am_ET", "Ethiopian": "am_ET", "Sudanese": "ar_AA", "South Sudanese": "ar_AA",
    "Egyptian": "ar_EG", "Syrian": "ar_AA", "Iraqi": "ar_AA", "Libyan": "ar_AA", "Yemeni": "ar_AA",
    "Kuwaiti": "ar_AA", "Moroccan": "ar_AA", "Tunisian": "ar_AA", "Algerian": "ar_DZ", "Jordanian": "ar_JO",
    "Palestinian": "ar_PS", "Saudi Arabian": "ar_SA", "Emirati": "ar_AE", "Bahraini": "ar_BH",
    "Iranian": "fa_IR", "Afghan": "fa_IR", "Indian": "en_IN", "Pakistani": "en_PK", "Bangladeshi": "bn_BD",
    "Sri Lankan": "si_LK", "Nepalese": "ne_NP", "Chinese": "zh_CN", "Hong Konger": "zh_TW", "Taiwanese": "zh_TW",
    "Nigerian": "en_NG", "Ghanaian": "tw_GH", "Kenyan": "en_KE", "Tanzanian": "sw", "Ugandan": "sw",
    "South African": "zu_ZA", "Filipino": "fil_PH", "Thai": "th_TH", "Indonesian": "id_ID",
    "Japanese": "ja_JP", "South Korean": "ko_KR", "Romanian": "ro_RO", "Moldovan": "ro_RO", "Polish": "pl_PL",
    "Czech": "cs_CZ", "Slovak": "sk_SK", "Hungarian": "hu_HU", "Bulgarian": "bg_BG", "Lithuanian": "lt_LT",
    "Latvian": "lv_LV", "Estonian": "et_EE", "Ukrainian": "uk_UA", "Russian": "ru_RU", "Georgian": "ka_GE",
    "Armenian": "hy_AM", "Azerbaijani": "az_AZ", "Uzbek": "uz_UZ", "Turkish": "tr_TR", "Greek": "el_GR",
    "Cypriot": "el_CY", "Italian": "it_IT", "Spanish": "es_ES", "Portuguese": "pt_PT", "Brazilian": "pt_BR",
    "French": "fr_FR", "Belgian": "nl_BE", "Dutch": "nl_NL", "German": "de_DE", "Austrian": "de_AT",
    "Swiss": "de_CH", "Danish": "da_DK", "Swedish": "sv_SE", "Norwegian": "no_NO", "Finnish": "fi_FI",
    "Croatian": "hr_HR", "Slovenian": "sl_SI", "Citizen of Bosnia and Herzegovina": "bs_BA",
    "Macedonian": "mk_MK", "Maltese": "mt_MT", "Israeli": "he_IL", "Mexican": "es_MX", "Colombian": "es_CO",
    "Venezuelan": "es_VE", "Argentine": "es_AR", "Chilean": "es_CL",
}


@functools.cache
def _has_names(locale: str) -> bool:
    """Whether Faker has person names of its own for ``locale`` (some locales fall back to en_US)."""
    if locale not in AVAILABLE_LOCALES:
        return False
    provider = Faker(locale).factories[0].provider("faker.providers.person")
    module = type(provider).__module__ if provider is not None else ""
    return locale == "en_US" or not module.endswith((".person", ".person.en", ".person.en_US"))


def locale_for(nationality: str) -> str:
    """The Faker locale for a nationality string ('Albanian;Greek' uses the first)."""
    first = nationality.split(xs.LIST_SEPARATOR)[0]
    locale = NATIONALITY_LOCALES.get(first, FALLBACK_LOCALE)
    return locale if _has_names(locale) else FALLBACK_LOCALE


def generate_people(table: pa.Table, seed: int) -> pa.Table:
    """One row per referral of ``table`` (extract_schema.REFERRALS): ``referral_id``,
    ``person_id``, ``given_name``, ``family_name``, ``date_of_birth``, ``locale``."""
    frame = pl.from_arrow(
        table.select(["referral_id", "person_id", "referral_date", "age_at_exploitation", "gender", "nationality"])
    )
    assert isinstance(frame, pl.DataFrame)
    people = frame.unique("person_id", keep="first", maintain_order=True)
    m = people.height
    rng = np.random.default_rng([int(seed), 0x9E0, 1])
    age_code = people["age_at_exploitation"].replace_strict(
        {a: i for i, a in enumerate(xs.AGES)}, return_dtype=pl.Int64
    ).to_numpy()
    # Age in years at the first referral: children 10-17, adults 18 plus a gamma tail, unknown 16-60.
    years = np.where(
        age_code == 1,
        10 + rng.random(m) * 8,
        np.where(age_code == 0, 18 + np.minimum(rng.gamma(2.0, 7.0, m), 57), 16 + rng.random(m) * 44),
    )
    ref_day = people["referral_date"].cast(pl.Int32).to_numpy().astype(np.int64)
    dob_day = ref_day - np.floor(years * 365.25).astype(np.int64)
    locales = [locale_for(n) for n in people["nationality"].to_list()]
    genders = people["gender"].to_list()
    given: list[str] = [""] * m
    family: list[str] = [""] * m
    by_locale: dict[str, list[int]] = {}
    for i, loc in enumerate(locales):
        by_locale.setdefault(loc, []).append(i)
    for k, loc in enumerate(sorted(by_locale)):
        fake = Faker(loc)
        fake.seed_instance(int(seed) * 1_000 + k)
        for i in by_locale[loc]:
            g = genders[i]
            given[i] = (fake.first_name_female() if g == "Female" else
                        fake.first_name_male() if g == "Male" else fake.first_name())
            family[i] = fake.last_name()
    names = pl.DataFrame({
        "person_id": people["person_id"],
        "given_name": given,
        "family_name": family,
        "date_of_birth": pl.Series(dob_day.astype(np.int32)).cast(pl.Date),
        "locale": locales,
    })
    out = frame.select("referral_id", "person_id").join(names, on="person_id", how="left", maintain_order="left")
    return out.to_arrow()
