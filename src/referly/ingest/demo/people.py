"""The people at those companies, their titles, their part toward us and where they worked before."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from referly.crm.models import Contact, ContactRole, Employment, Seniority
from referly.crm.normalise import company_key
from referly.ingest.demo.context import DemoContext, IntArray, dates_or_none, slug
from referly.ingest.demo.firmographics import Market
from referly.ingest.demo.frame import Frame

FUNCTIONS = [
    "Sales",
    "Marketing",
    "Operations",
    "Finance",
    "IT",
    "Customer Success",
    "Revenue Operations",
    "Procurement",
    "People",
    "Engineering",
    "Product",
]
EXECUTIVE_TITLES = [
    "CEO",
    "COO",
    "CFO",
    "Chief Revenue Officer",
    "CTO",
    "CMO",
    "Founder & CEO",
    "Managing Director",
]
SENIORITY_MIX = [
    (Seniority.EXECUTIVE, 0.05),
    (Seniority.VP, 0.10),
    (Seniority.DIRECTOR, 0.20),
    (Seniority.MANAGER, 0.30),
    (Seniority.INDIVIDUAL, 0.35),
]
TITLE_PREFIX = {
    Seniority.VP: "VP of",
    Seniority.DIRECTOR: "Director of",
    Seniority.MANAGER: "Head of",
    Seniority.INDIVIDUAL: "",
}
INDIVIDUAL_TITLES = {
    "Sales": "Account Executive",
    "Marketing": "Marketing Specialist",
    "Operations": "Operations Analyst",
    "Finance": "Financial Analyst",
    "IT": "Systems Administrator",
    "Customer Success": "Customer Success Manager",
    "Revenue Operations": "RevOps Analyst",
    "Procurement": "Buyer",
    "People": "HR Business Partner",
    "Engineering": "Software Engineer",
    "Product": "Product Manager",
}
PHONE_PREFIX = {
    "US": "+1",
    "CA": "+1",
    "GB": "+44",
    "FR": "+33",
    "DE": "+49",
    "NL": "+31",
    "ES": "+34",
    "BE": "+32",
}


@dataclass
class People:
    ids: IntArray
    account: IntArray  # account id of each contact
    role: list[str]
    seniority: list[str]
    tenure_start: IntArray  # day the contact joined their current company


def generate_people(ctx: DemoContext, market: Market) -> tuple[People, Frame, Frame]:
    rng = ctx.rng("people")
    n_acc = len(market.ids)
    n = max(ctx.volumes.contacts, n_acc)
    weight = market.employees.astype(np.float64) ** 0.35 * np.where(market.is_customer, 3.0, 1.0)
    per_account = rng.multinomial(n - n_acc, weight / weight.sum()) + 1
    account_idx = np.repeat(np.arange(n_acc), per_account)
    first_in_account = np.r_[True, account_idx[1:] != account_idx[:-1]]
    position = np.arange(n) - np.repeat(np.cumsum(per_account) - per_account, per_account)

    sen_idx = rng.choice(len(SENIORITY_MIX), n, p=[w for _, w in SENIORITY_MIX])
    seniority = np.array([s.value for s, _ in SENIORITY_MIX])[sen_idx]
    seniority[first_in_account] = Seniority.EXECUTIVE.value
    function = rng.integers(0, len(FUNCTIONS), n)
    customer = market.is_customer[account_idx]
    role = np.full(n, ContactRole.OTHER.value, dtype=object)
    role[customer & (rng.random(n) < 0.55)] = ContactRole.USER.value
    role[customer & (position <= 2) & ~first_in_account] = ContactRole.CHAMPION.value
    role[customer & (np.array(FUNCTIONS)[function] == "Procurement")] = ContactRole.GATEKEEPER.value
    role[customer & first_in_account] = ContactRole.EXECUTIVE_SPONSOR.value
    role[~customer & (position == 1)] = ContactRole.CHAMPION.value

    firsts, lasts, emails, phones, titles = _identities(ctx, rng, market, account_idx, seniority, function)
    tenure_years = np.clip(rng.lognormal(np.log(3.0), 0.7, n), 0.2, 25)
    tenure_start = ctx.today - (tenure_years * 365).astype(np.int64)
    ids = np.arange(1, n + 1, dtype=np.int64)
    people = People(ids, market.ids[account_idx], role.tolist(), seniority.tolist(), tenure_start)
    contacts = Frame(
        Contact,
        {
            "id": ids,
            "account_id": people.account,
            "first_name": firsts,
            "last_name": lasts,
            "email": emails,
            "phone": phones,
            "title": titles,
            "seniority": people.seniority,
            "role": people.role,
            "do_not_contact": (rng.random(n) < 0.01).tolist(),
            "opted_out_of_asks": (rng.random(n) < 0.02).tolist(),
            "source_system": "demo",
            "external_id": [f"cont-{i:07d}" for i in ids.tolist()],
        },
    )
    return people, contacts, _employment(ctx, rng, market, people, account_idx, titles)


def _identities(
    ctx: DemoContext,
    rng: np.random.Generator,
    market: Market,
    account_idx: IntArray,
    seniority: np.ndarray[Any, Any],
    function: IntArray,
) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    """Names in the style of each company's country (drawn from Faker pools), unique e-mails, titles."""
    pools: dict[str, tuple[list[str], list[str]]] = {}
    for locale in sorted(set(market.locales)):
        fake = ctx.faker(locale)
        pools[locale] = (
            sorted({fake.first_name() for _ in range(700)}),
            sorted({fake.last_name() for _ in range(900)}),
        )
    n = len(account_idx)
    u_first, u_last, u_phone = rng.random(n), rng.random(n), rng.integers(0, 10**8, n)
    has_phone = rng.random(n) < 0.6
    exec_pick = rng.integers(0, len(EXECUTIVE_TITLES), n)
    firsts, lasts, emails, phones, titles = [], [], [], [], []
    seen: set[str] = set()
    for k, a in enumerate(account_idx.tolist()):
        first_pool, last_pool = pools[market.locales[a]]
        first = first_pool[int(u_first[k] * len(first_pool))]
        last = last_pool[int(u_last[k] * len(last_pool))]
        local = f"{slug(first)}.{slug(last)}"
        email, bump = f"{local}@{market.domains[a]}", 1
        while email in seen:
            bump += 1
            email = f"{local}{bump}@{market.domains[a]}"
        seen.add(email)
        firsts.append(first)
        lasts.append(last)
        emails.append(email)
        prefix = PHONE_PREFIX.get(market.locales[a].split("_")[1], "+1")
        phones.append(f"{prefix} {u_phone[k]:08d}" if has_phone[k] else "")
        s, f = seniority[k], FUNCTIONS[function[k]]
        if s == Seniority.EXECUTIVE:
            titles.append(EXECUTIVE_TITLES[exec_pick[k]])
        elif s == Seniority.INDIVIDUAL:
            titles.append(INDIVIDUAL_TITLES[f])
        else:
            titles.append(f"{TITLE_PREFIX[Seniority(s)]} {f}")
    return firsts, lasts, emails, phones, titles


def _employment(
    ctx: DemoContext,
    rng: np.random.Generator,
    market: Market,
    people: People,
    account_idx: IntArray,
    titles: list[str],
) -> Frame:
    """Current job plus 0-3 earlier ones; most careers stay within one industry."""
    n = len(people.ids)
    n_previous = rng.choice(4, n, p=[0.35, 0.35, 0.2, 0.1])
    others = [ctx.faker("en_US").company() for _ in range(max(50, len(market.ids) // 3))]
    by_industry = [np.flatnonzero(market.industry == i) for i in range(int(market.industry.max()) + 1)]
    contact, company, account, title, start, end = [], [], [], [], [], []
    for k in range(n):
        a = int(account_idx[k])
        contact.append(int(people.ids[k]))
        company.append(market.names[a])
        account.append(int(market.ids[a]))
        title.append(titles[k])
        start.append(int(people.tenure_start[k]))
        end.append(-1)
        ended = int(people.tenure_start[k]) - int(rng.integers(0, 90))
        for _ in range(int(n_previous[k])):
            began = ended - int(np.clip(rng.lognormal(np.log(900), 0.6), 180, 4_000))
            if began < 0:
                break
            pool = by_industry[int(market.industry[a])]
            if rng.random() < 0.6 and len(pool) > 1:
                b = int(pool[rng.integers(0, len(pool))])
                name, acc = market.names[b], int(market.ids[b])
            else:
                name, acc = others[int(rng.integers(0, len(others)))], None
            if acc == int(market.ids[a]):
                continue
            contact.append(int(people.ids[k]))
            company.append(name)
            account.append(acc)  # type: ignore[arg-type]
            title.append("")
            start.append(began)
            end.append(ended)
            ended = began - int(rng.integers(0, 120))
    return Frame(
        Employment,
        {
            "contact_id": contact,
            "company_name": company,
            "company_key": [company_key(c) for c in company],
            "account_id": account,
            "title": title,
            "started_on": dates_or_none(np.array(start, dtype=np.int64)),
            "ended_on": dates_or_none(np.array(end, dtype=np.int64)),
        },
    )
