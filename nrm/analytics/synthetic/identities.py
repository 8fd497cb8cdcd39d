"""Linkage test data: identities for the referrals of a synthetic extract, with the
differences real repeat referrals of one person show (typos, nicknames, swapped names, missing
or disputed dates of birth), and the truth (which referrals are the same person).

The generator's ``linkage`` profile (:mod:`nrm.analytics.synthetic.generator`) uses it; the
linkage itself is :mod:`nrm.analytics.linkage`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from nrm.analytics.linkage import LINKAGE_INPUT, NICKNAMES

__all__ = ["NoiseModel", "repeat_referral_ids", "synthetic_linkage_input"]


IntArray = npt.NDArray[np.int64]


def _w(names: str) -> tuple[tuple[str, ...], npt.NDArray[np.float64]]:
    items = tuple(names.split())
    # a flattened Zipf law: the most common name of a pool is 2 to 4 per cent of it
    weights = 1.0 / (np.arange(len(items)) + 20.0)
    return items, weights / weights.sum()


# Name pools by naming tradition (Latin transliterations), most common first.
_NAME_POOLS: dict[str, tuple[str, str, str]] = {
    "british": (
        "Oliver Jack Harry George Charlie Jacob Thomas Noah William Oscar James Leo Alfie Henry Joshua Freddie "
        "Archie Ethan Isaac Alexander Joseph Edward Samuel Max Daniel Logan Lucas Dylan Tyler Kyle Connor Callum "
        "Liam Jordan Ryan Reece Lewis Bradley Jake Aaron Luke Nathan Adam Ben Michael Christopher Robert John "
        "David Paul Mark Kieran Jamie Scott",
        "Olivia Amelia Isla Ava Emily Sophia Grace Mia Poppy Ella Lily Evie Isabella Sophie Chloe Jessica Ruby "
        "Daisy Freya Alice Charlotte Megan Holly Lauren Emma Hannah Katie Leah Courtney Shannon Jade Amber "
        "Bethany Rebecca Sarah Laura Kayleigh Demi Paige Abigail Elizabeth Victoria",
        "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright "
        "Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill "
        "Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker "
        "Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy "
        "Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman "
        "Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight "
        "Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher "
        "Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks "
        "West Lawrence Cole Atkinson Bradley Spencer Gill Dawson Ball Burton",
    ),
    "albanian": (
        "Ardit Arben Besnik Blerim Dritan Elvis Endrit Ervin Fatjon Gentian Ilir Klodian Kristian Lulzim Marsel "
        "Mario Olsi Redon Rei Sokol Xhuljo Erion Eljo Denis Alban Artan Bujar Dorian Edison Eltion Enea Erald "
        "Fabjo Gerald Jurgen Kevin Klajdi Ledio Luan Mikel Orges Renato Sajmir Taulant",
        "Anisa Arta Besa Blerina Elona Enkeleda Ermira Fatjona Ina Jonida Klea Ledia Manjola Megi Mirela "
        "Orjola Rezarta Sara Teuta Xhesika Dea Elira Ana Amarildo Alketa Brikena",
        "Hoxha Shehu Gjoka Dervishi Leka Prifti Kola Marku Basha Cela Duka Gjini Hysa Kuka Lika Mema Muca Nikolla "
        "Osmani Pllumi Rama Sula Tafa Veliu Xhafa Zeqiri Berisha Krasniqi Gashi Bajrami Ahmeti Shala Hasani "
        "Dushku Kapllani Laci Meta Ndreu Qosja Rexha Spahiu Toska Ymeri",
    ),
    "vietnamese": (
        "Van_Anh Van_Minh Van_Nam Van_Hung Van_Long Van_Tuan Van_Duc Van_Hai Van_Thanh Van_Quang Van_Hoang "
        "Van_Dung Van_Son Van_Phuc Van_Tien Duc_Anh Duc_Minh Minh_Tuan Minh_Duc Quoc_Anh Quoc_Huy Thanh_Long "
        "Hoang_Nam Tuan_Anh Van_Khanh Van_Trung Van_Hieu Van_Cuong Van_Dat Van_Linh Van_Thang Van_Vu Van_Bao "
        "Gia_Huy Huu_Phuoc Cong_Danh Van_Toan Van_Hoa Van_Loc Van_Phong",
        "Thi_Huong Thi_Lan Thi_Mai Thi_Hoa Thi_Thu Thi_Hang Thi_Linh Thi_Ngoc Thi_Trang Thi_Ha Thi_Nga "
        "Thi_Phuong Thi_Thao Thi_Yen Thi_Van Ngoc_Anh Thu_Trang Thu_Ha Thi_Dung Thi_Nhung Thi_Hien Thi_Loan",
        "Nguyen Nguyen Nguyen Nguyen Tran Tran Le Le Pham Hoang Huynh Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly "
        "Dinh Trinh Truong Mai Cao Lam Luong Ta Chu",
    ),
    "horn": (
        "Yonas Daniel Samuel Filmon Robel Amanuel Tesfay Mehari Kidane Berhane Yohannes Habtom Tekle Efrem Henok "
        "Biniam Dawit Merhawi Natnael Semere Tewelde Ghirmay Mussie Abel Senait Yemane Abraham Solomon Isaias "
        "Yosief Aron Nahom",
        "Helen Selam Ruth Senait Hiwet Rahel Saba Eden Feven Luwam Merhawit Winta Yordanos Hanna Tsega Aster "
        "Meron Sara Bethlehem",
        "Tesfay Gebremedhin Kidane Haile Berhe Gebre Tekle Mehari Yohannes Ghebremariam Weldemichael Asmerom "
        "Habte Tsegay Abraha Hagos Kahsay Gebreyesus Mengsteab Woldu Negash Ghebrehiwet Andemariam Tewolde "
        "Zerai Fitsum Ghebreab Misghina",
    ),
    "arabic": (
        "Mohammed Ahmed Ali Omar Mustafa Ibrahim Abdullah Hassan Hussein Yusuf Khalid Mahmoud Osman Adam Ismail "
        "Abdelrahman Salah Tariq Karim Hamza Bilal Anas Amir Yasin Samir Waleed Faisal Nasser Ayman Ashraf Jamal "
        "Hisham Fadi Rami Zaid Sami",
        "Fatima Aisha Mariam Amina Zainab Sara Nour Layla Huda Rania Hiba Salma Yasmin Samira Hana Dina Reem",
        "Mohammed Ahmed Ali Hassan Hussein Ibrahim Abdallah Osman Mahmoud Mustafa Yousif Adam Idris Suleiman "
        "Bakri Khalil Hamid Saleh Abbas Jaber Nasser Awad Haddad Mansour Saeed Karim Rashid Salim Aziz Farah "
        "Omer Elamin Elhassan Abdelrahman Taha Hamad Musa Jassim",
    ),
    "persian": (
        "Mohammad Ali Reza Hossein Mehdi Amir Ahmad Hamid Javad Saeed Omid Majid Navid Farid Karim Mustafa "
        "Abdul Rahmatullah Ahmadullah Naveed Sohail Jawid Rahim Ehsan Milad Payam Behzad Parviz Shahram Sina "
        "Arash Dariush Nasir Wahid Zabihullah Hamidullah Ismail Yasin",
        "Fatemeh Zahra Maryam Zeinab Sara Narges Leila Parisa Shirin Nasrin Roya Mina Farzana Shabnam Soraya "
        "Nilofar Mahnaz",
        "Mohammadi Hosseini Ahmadi Rezaei Karimi Moradi Hashemi Rahimi Jafari Sadeghi Mousavi Ghorbani Amini "
        "Azizi Hakimi Safi Stanikzai Popal Noori Sultani Rahmani Haidari Wardak Sharifi Ahmadzai Yousufzai "
        "Amiri Akbari Kazemi Habibi Zamani Nazari Naseri",
    ),
    "south_asian": (
        "Mohammed Muhammad Ali Ahmed Hassan Imran Usman Bilal Hamza Zain Adnan Asif Faisal Kamran Tariq Rahul "
        "Amit Vikram Arjun Rohan Sanjay Rajesh Suresh Mahesh Ravi Anil Deepak Harpreet Gurpreet Manpreet "
        "Sukhwinder Rakib Sohel Shahid Jahid Abdul Rafiq Arif Nazmul Kamal",
        "Fatima Ayesha Sana Nadia Farzana Shabana Rukhsana Priya Pooja Anjali Sunita Neha Kavita Sonia "
        "Harjit Parveen Nasreen Shirin Jannatul Sumaiya Tasnim",
        "Khan Ali Ahmed Hussain Shah Begum Akhtar Iqbal Butt Malik Chaudhry Qureshi Rahman Islam Hossain "
        "Uddin Miah Sheikh Sarkar Chowdhury Patel Sharma Singh Kumar Gupta Das Shah Mehta Reddy Rao Nair "
        "Kaur Gill Sandhu Dhillon",
    ),
    "chinese": (
        "Wei Jun Hao Ming Jie Lei Tao Yang Chao Bin Peng Long Hui Gang Feng Jian Qiang Bo Yong Kai Xin Rui Zhen",
        "Li Fang Jing Ying Mei Hong Yan Xia Lan Ling Na Min Juan Hui Yun Qing Xiu Lei Ting",
        "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Zheng Liang Xie Tang "
        "Han Cao Deng Feng Zeng",
    ),
    "west_african": (
        "Emmanuel Samuel David John Daniel Joseph Michael Chinedu Obinna Ifeanyi Emeka Uche Abdullahi Musa "
        "Ibrahim Kwame Kofi Kwabena Yaw Kojo Abayomi Babajide Olumide Tunde Segun Femi Chukwuemeka Kelechi "
        "Ikenna Godwin Blessing Prince Isaac",
        "Blessing Grace Mercy Patience Joy Faith Precious Esther Comfort Abena Akosua Ama Adwoa Ngozi Chioma "
        "Adaeze Funmilayo Folake Aisha Halima Victoria Gift",
        "Okafor Adeyemi Okonkwo Eze Obi Nwosu Okeke Chukwu Olawale Adebayo Ogunleye Balogun Bello Abubakar "
        "Mohammed Mensah Asante Owusu Boateng Osei Appiah Agyeman Addo Darko Ofori Oyelaran Afolabi Nwachukwu "
        "Igwe Ibe Uzor Danjuma",
    ),
    "east_european": (
        "Ion Andrei Alexandru Mihai Gabriel Constantin Florin Marius Adrian Daniel Stefan Nicolae Jakub Piotr "
        "Tomasz Krzysztof Pawel Michal Marcin Lukasz Tomas Lukas Mantas Jonas Martin Peter Jan Milan Vasyl "
        "Oleksandr Dmytro Andriy Mykola Serhiy Ivan Georgi Dimitar Nikolay Vladimir Roman Igor",
        "Maria Elena Ioana Andreea Alexandra Mihaela Anna Katarzyna Agnieszka Magdalena Joanna Monika Ruta "
        "Egle Jana Lucia Olena Tetiana Natalia Iryna Oksana Svetlana Ivana Petra",
        "Popescu Ionescu Popa Pop Radu Dumitru Stan Stoica Gheorghe Matei Ciobanu Rusu Munteanu Nowak "
        "Kowalski Wisniewski Wojcik Kowalczyk Kaminski Lewandowski Zielinski Kazlauskas Jankauskas "
        "Petrauskas Horvath Kovac Varga Toth Novak Svoboda Dvorak Melnyk Shevchenko Boyko Kovalenko Bondarenko "
        "Tkachenko Kravchenko Oliynyk Ivanov Petrov Georgiev Dimitrov Balog Lakatos Oláh Rostas Mirga",
    ),
    "other": (
        "Jose Juan Carlos Luis Pedro Joao Paulo Mark Jeffrey Ramon Mario Sergio Rafael Lucas Gabriel Mateo "
        "Santiago Diego Kenji Hiroshi Thanh Prakash Kamal Nimal Suresh Ashok Ruwan Chaminda Patrick Jean "
        "Pierre Joseph Felix Christian Didier",
        "Maria Ana Rosa Carmen Luz Marisol Jocelyn Mary Grace Joy Cristina Patricia Fernanda Camila Valentina "
        "Nimali Dilani Chantal Marie Christine",
        "Silva Santos Oliveira Souza Pereira Costa Rodrigues Almeida Ferreira Reyes Cruz Garcia Ramos Mendoza "
        "Bautista Villanueva Perera Fernando Jayasinghe Kumara Bandara Mbala Kabila Tshisekedi Lumumba Mukendi "
        "Ilunga Kasongo Ngoy Da_Costa Gomes Mendes",
    ),
}

_GROUP_OF: dict[str, str] = {
    "UK": "british",
    "British": "british",
    "Irish": "british",
    "Albanian": "albanian",
    "Kosovan": "albanian",
    "Vietnamese": "vietnamese",
    "Eritrean": "horn",
    "Ethiopian": "horn",
    "Somali": "horn",
    "Sudanese": "arabic",
    "South Sudanese": "arabic",
    "Egyptian": "arabic",
    "Iraqi": "arabic",
    "Kuwaiti": "arabic",
    "Syrian": "arabic",
    "Libyan": "arabic",
    "Yemeni": "arabic",
    "Moroccan": "arabic",
    "Algerian": "arabic",
    "Tunisian": "arabic",
    "Chadian": "arabic",
    "Iranian": "persian",
    "Afghan": "persian",
    "Kurdish": "persian",
    "Indian": "south_asian",
    "Pakistani": "south_asian",
    "Bangladeshi": "south_asian",
    "Chinese": "chinese",
    "Nigerian": "west_african",
    "Ghanaian": "west_african",
    "Gambian": "west_african",
    "Sierra Leonean": "west_african",
    "Cameroonian": "west_african",
    "Romanian": "east_european",
    "Polish": "east_european",
    "Lithuanian": "east_european",
    "Slovak": "east_european",
    "Czech": "east_european",
    "Ukrainian": "east_european",
    "Bulgarian": "east_european",
    "Hungarian": "east_european",
    "Latvian": "east_european",
    "Russian": "east_european",
    "Moldovan": "east_european",
}

_GROUPS = tuple(_NAME_POOLS)


@dataclass(frozen=True)
class NoiseModel:
    """Probabilities of each kind of difference between two referrals of the same person
    (applied to every referral after a person's first), and of missing dates of birth on
    any referral."""

    first_name_typo: float = 0.06
    surname_typo: float = 0.06
    swapped_names: float = 0.03
    nickname: float = 0.05
    first_name_missing: float = 0.01
    dob_typo: float = 0.04
    dob_day_month_swap: float = 0.02
    disputed_age: float = 0.04  # year of birth moved by 1 or 2 years
    gender_missing: float = 0.02
    nationality_changed: float = 0.03
    police_force_changed: float = 0.4
    # on every referral
    dob_missing: float = 0.06
    year_of_birth_known_if_dob_missing: float = 0.85


_KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _from_days(days: int) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + days)


def _to_days(d: date) -> int:
    return d.toordinal() - _EPOCH_ORDINAL


def _typo(rng: np.random.Generator, s: str) -> str:
    if len(s) < 2:
        return s + _KEYBOARD[int(rng.integers(0, 26))]
    i = int(rng.integers(0, len(s)))
    op = int(rng.integers(0, 4))
    c = _KEYBOARD[int(rng.integers(0, 26))]
    if op == 0:  # substitute
        out = s[:i] + (c.upper() if s[i].isupper() else c) + s[i + 1 :]
    elif op == 1:  # delete
        out = s[:i] + s[i + 1 :]
    elif op == 2:  # insert
        out = s[:i] + c + s[i:]
    else:  # transpose
        j = min(i + 1, len(s) - 1)
        if i == j:
            i, j = i - 1, i
        out = s[:i] + s[j] + s[i] + s[j + 1 :]
    return out or s


_VARIANTS: dict[str, tuple[str, ...]] = {}
for _canon, _names in NICKNAMES.items():
    for _n in (_canon, *_names):
        _VARIANTS[_n] = tuple(x for x in (_canon, *_names) if x != _n and len(x) > 2)


def _nickname(rng: np.random.Generator, s: str) -> str:
    key = "".join(ch for ch in s.lower() if ch.isalpha())
    options = _VARIANTS.get(key)
    if not options:
        return s
    return options[int(rng.integers(0, len(options)))].capitalize()


# share of forenames and surnames drawn from the long tail, by naming tradition
_TAILS: dict[str, tuple[float, float]] = {
    "british": (0.3, 0.7),
    "vietnamese": (0.5, 0.03),
    "chinese": (0.5, 0.05),
}
_TAIL_DEFAULT = (0.4, 0.7)


def _splice(rng: np.random.Generator, a: str, b: str) -> str:
    """A rarer name: the start of ``a`` and the end of ``b`` (the last word of each)."""
    head, _, last_a = a.rpartition(" ")
    last_b = b.rpartition(" ")[2]
    if len(last_a) < 3 or len(last_b) < 3:
        return a
    cut_a = int(rng.integers(2, len(last_a)))
    cut_b = int(rng.integers(1, len(last_b) - 1))
    word = (last_a[:cut_a] + last_b[cut_b:]).capitalize()
    return f"{head} {word}" if head else word


def _draw_names(rng: np.random.Generator, pool: str, k: int, tail: float) -> npt.NDArray[np.object_]:
    names, weights = _w(pool)
    values = np.array([x.replace("_", " ") for x in names], dtype=object)
    out: npt.NDArray[np.object_] = values[rng.choice(len(values), size=k, p=weights)]
    rare = np.flatnonzero(rng.random(k) < tail)
    others = values[rng.integers(0, len(values), len(rare))]
    for j, i in enumerate(rare.tolist()):
        out[i] = _splice(rng, str(out[i]), str(others[j]))
    return out


def _identity_names(
    rng: np.random.Generator, is_first: npt.NDArray[np.bool_], group_idx: npt.NDArray[np.int64],
    female: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """First names and surnames for the first referral of each person: a common name from the pool of the
    person's naming tradition, or (the long tail of rarer names) two pool names spliced together."""
    n = len(is_first)
    first_name = np.empty(n, dtype=object)
    surname = np.empty(n, dtype=object)
    for g, grp in enumerate(_GROUPS):
        rows = np.flatnonzero(is_first & (group_idx == g))
        if not len(rows):
            continue
        fem = female[rows]
        tail_first, tail_sur = _TAILS.get(grp, _TAIL_DEFAULT)
        fn_m = _draw_names(rng, _NAME_POOLS[grp][0], len(rows), tail_first)
        fn_f = _draw_names(rng, _NAME_POOLS[grp][1], len(rows), tail_first)
        first_name[rows] = np.where(fem, fn_f, fn_m)
        surname[rows] = _draw_names(rng, _NAME_POOLS[grp][2], len(rows), tail_sur)
    return first_name, surname


def _noisy_names(
    rng: np.random.Generator, noise: NoiseModel, r: npt.NDArray[np.float64], fn: str, sn: str
) -> tuple[str | None, str]:
    """The names as a repeat referral records them, by the draws ``r[0:5]``."""
    if r[0] < noise.nickname:
        fn = _nickname(rng, fn)
    if r[1] < noise.first_name_typo:
        fn = _typo(rng, fn)
    if r[2] < noise.surname_typo:
        sn = _typo(rng, sn)
    if r[3] < noise.swapped_names:
        fn, sn = sn, fn
    return (None if r[4] < noise.first_name_missing else fn), sn


def _dob_typo(rng: np.random.Generator, day: int) -> int:
    """A date of birth with one digit of its day, month or year's last two mistyped (unchanged if that makes
    no date)."""
    s = list(_from_days(day).isoformat())
    pos = [2, 3, 5, 6, 8, 9][int(rng.integers(0, 6))]
    s[pos] = str(int(rng.integers(0, 10)))
    try:
        return _to_days(date.fromisoformat("".join(s)))
    except ValueError:
        return day


def _noisy_dob(rng: np.random.Generator, noise: NoiseModel, r: npt.NDArray[np.float64], day: int) -> int:
    """The date of birth (in days) as a repeat referral records it, by the draws ``r[5:8]``."""
    if r[5] < noise.dob_typo:
        day = _dob_typo(rng, day)
    elif r[6] < noise.dob_day_month_swap:
        d = _from_days(day)
        if d.day <= 12:
            day = _to_days(date(d.year, d.day, d.month))
    if r[7] < noise.disputed_age:
        d = _from_days(day)
        year = d.year + int(rng.choice([-2, -1, 1, 2]))
        day = _to_days(date(year, d.month, min(d.day, 28) if d.month == 2 else d.day))
    return day


def synthetic_linkage_input(
    referrals: pa.Table, *, seed: int = 0, noise: NoiseModel | None = None
) -> tuple[pa.Table, pa.Table]:
    """Linkage input for the referrals of an extract, and the truth.

    Each ``person_id`` gets one identity (names by the naming tradition of the person's
    first nationality, a date of birth consistent with the age at exploitation, gender,
    nationality and force area of their first referral); each later referral of the
    same person is a copy with the differences of ``noise``. Returns ``(input, truth)``:
    ``input`` has the columns of :data:`LINKAGE_INPUT`; ``truth`` has ``referral_id``,
    ``person`` and ``referral_date``.
    """
    noise = noise or NoiseModel()
    rng = np.random.default_rng(seed)
    n = referrals.num_rows
    ref_days = referrals.column("referral_date").cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    person_codes = pc.dictionary_encode(referrals.column("person_id")).combine_chunks()
    person = np.asarray(person_codes.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    n_people = len(person_codes.dictionary)
    order = np.lexsort((np.arange(n), ref_days, person))
    sorted_person = person[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = sorted_person[1:] != sorted_person[:-1]
    first_of = np.full(n_people, -1, dtype=np.int64)
    first_of[sorted_person[starts]] = order[starts]  # the earliest referral of each person
    is_first = np.zeros(n, dtype=bool)
    is_first[order[starts]] = True
    src = first_of[person]  # the identity row for each referral

    nationality = referrals.column("nationality").to_pylist()
    first_nat = [(s or "").split(";")[0].strip() for s in nationality]
    group_idx = np.array([_GROUPS.index(_GROUP_OF.get(x, "other")) for x in first_nat], dtype=np.int64)
    gender = referrals.column("gender").to_pylist()
    female = np.array([g == "Female" for g in gender]) | (
        np.array([g not in ("Female", "Male") for g in gender]) & (rng.random(n) < 0.5)
    )
    age = referrals.column("age_at_exploitation").to_pylist()
    child = np.array([a == "Child (17 or under)" for a in age])

    # identity of each person, drawn for their first referral: a common name from the
    # pool of the person's naming tradition, or (the long tail of rarer names) two pool
    # names spliced together
    first_name, surname = _identity_names(rng, is_first, group_idx, female)
    age_years = np.where(child, rng.integers(12, 18, n), rng.integers(18, 56, n))
    dob_day = ref_days - age_years * 365 - rng.integers(0, 365, n)
    first_name = first_name[src]
    surname = surname[src]
    dob = dob_day[src].copy()
    gender_out = np.array(gender, dtype=object)[src]
    nat_out = np.array(first_nat, dtype=object)[src]
    force_col = referrals.column("police_force").to_pylist()
    force_out = np.array(force_col, dtype=object)[src]
    fr_out = np.array(referrals.column("first_responder").to_pylist(), dtype=object)

    # differences on repeat referrals
    rep = np.flatnonzero(~is_first)
    u = rng.random((len(rep), 12))
    forces = np.array(sorted({f for f in force_col if f}), dtype=object)
    nats = np.array(sorted(set(first_nat)), dtype=object)
    for k, i in enumerate(rep.tolist()):
        r = u[k]
        first_name[i], surname[i] = _noisy_names(rng, noise, r, str(first_name[i]), str(surname[i]))
        dob[i] = _noisy_dob(rng, noise, r, int(dob[i]))
        if r[8] < noise.gender_missing:
            gender_out[i] = "Not specified or unknown"
        if r[9] < noise.nationality_changed:
            nat_out[i] = nats[int(rng.integers(0, len(nats)))]
        if r[10] < noise.police_force_changed and len(forces):
            force_out[i] = forces[int(rng.integers(0, len(forces)))]

    # missing dates of birth on any referral; an estimated year for some of them
    missing = rng.random(n) < noise.dob_missing
    year_known = missing & (rng.random(n) < noise.year_of_birth_known_if_dob_missing)
    true_years = dob.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    years = true_years + rng.integers(-1, 2, n) * (rng.random(n) < 0.3)  # an estimated year is sometimes off by one
    input_table = pa.Table.from_arrays(
        [
            referrals.column("referral_id"),
            pa.array(first_name.tolist(), type=pa.string()),
            pa.array(surname.tolist(), type=pa.string()),
            pa.array(dob.astype(np.int32), type=pa.int32(), mask=missing).cast(pa.date32()),
            pa.array(years.astype(np.int32), type=pa.int32(), mask=~year_known),
            pa.array(gender_out.tolist(), type=pa.string()),
            pa.array(nat_out.tolist(), type=pa.string()),
            pa.array(force_out.tolist(), type=pa.string()),
            pa.array(fr_out.tolist(), type=pa.string()),
            referrals.column("referral_date"),
        ],
        schema=LINKAGE_INPUT,
    )
    truth = pa.table(
        {
            "referral_id": referrals.column("referral_id"),
            "person": referrals.column("person_id"),
            "referral_date": referrals.column("referral_date"),
        }
    )
    return input_table, truth


def repeat_referral_ids(truth: pa.Table) -> Sequence[str]:
    """The referral ids that are a later referral of an already referred person."""
    con = duckdb.connect(":memory:")
    try:
        con.register("truth", truth)
        rows = con.execute(
            "SELECT referral_id FROM (SELECT referral_id, row_number() OVER (PARTITION BY person "
            "ORDER BY referral_date, referral_id) AS nth FROM truth) WHERE nth > 1 ORDER BY referral_id"
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]
