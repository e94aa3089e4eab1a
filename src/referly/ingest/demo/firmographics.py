"""Our own team, and the companies in the market: clients, prospects, partners, churned."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from referly.crm.models import Account, Lifecycle, Teammate, TeammateRole
from referly.crm.normalise import company_key
from referly.ingest.demo.context import (
    BoolArray,
    DemoContext,
    FloatArray,
    IntArray,
    dates_or_none,
    pick,
    slug,
)
from referly.ingest.demo.frame import Frame

OUR_DOMAIN = "northbeam.example"
COUNTRIES = [
    ("US", "en_US", 0.40),
    ("GB", "en_GB", 0.14),
    ("FR", "fr_FR", 0.16),
    ("DE", "de_DE", 0.10),
    ("CA", "en_CA", 0.06),
    ("NL", "nl_NL", 0.05),
    ("ES", "es_ES", 0.05),
    ("BE", "fr_BE", 0.04),
]
REGIONS = {
    "US": "Americas",
    "CA": "Americas",
    "FR": "France & Benelux",
    "BE": "France & Benelux",
    "NL": "France & Benelux",
}
TEAMS = ["Americas", "EMEA", "France & Benelux"]
INDUSTRIES = [
    ("Software", 0.15),
    ("Professional Services", 0.12),
    ("Financial Services", 0.10),
    ("Manufacturing", 0.11),
    ("Logistics", 0.07),
    ("Retail", 0.08),
    ("Healthcare", 0.08),
    ("Media", 0.05),
    ("Education", 0.05),
    ("Real Estate", 0.05),
    ("Energy", 0.04),
    ("Telecommunications", 0.04),
    ("Public Sector", 0.06),
]
# Where the product sells best: clients cluster here, which is what the ICP should discover.
SWEET_SPOT = {"Software", "Professional Services", "Financial Services", "Logistics"}
ROLE_MIX = [
    (TeammateRole.ACCOUNT_EXECUTIVE, 0.36),
    (TeammateRole.CUSTOMER_SUCCESS, 0.26),
    (TeammateRole.ACCOUNT_MANAGER, 0.16),
    (TeammateRole.SALES_DEVELOPMENT, 0.12),
    (TeammateRole.MARKETER, 0.10),
]


@dataclass
class Team:
    ids: IntArray
    roles: list[str]
    teams: list[str]

    def with_role(self, role: str, team: str | None = None) -> IntArray:
        mask = [r == role and (team is None or t == team) for r, t in zip(self.roles, self.teams, strict=True)]
        chosen: IntArray = self.ids[np.array(mask, dtype=bool)]
        return chosen


@dataclass
class Market:
    ids: IntArray
    names: list[str]
    domains: list[str]
    locales: list[str]
    industry: IntArray
    employees: IntArray
    lifecycle: list[str]
    client_since: IntArray  # day number, -1 when never a client
    churned_on: IntArray  # day number, -1 when not churned
    health: FloatArray  # latent 0-1 satisfaction that drives signals and NPS; never stored
    owner: IntArray
    csm: IntArray  # 0 when none

    @property
    def is_customer(self) -> BoolArray:
        """Clients and churned clients: accounts that bought from us once."""
        return self.client_since >= 0


def generate_team(ctx: DemoContext) -> tuple[Team, Frame]:
    rng = ctx.rng("team")
    n = ctx.volumes.teammates
    managers = max(len(TEAMS) + 1, n // 10)
    # Every region has at least one seller and one customer success manager; the rest is drawn.
    core = [TeammateRole.ACCOUNT_EXECUTIVE.value, TeammateRole.CUSTOMER_SUCCESS.value] * len(TEAMS)
    drawn = n - managers - len(core)
    roles = [TeammateRole.MANAGER.value] * managers + core
    roles += [ROLE_MIX[i][0].value for i in pick(rng, [(r.value, w) for r, w in ROLE_MIX], drawn)]
    teams = ["Leadership"] + [TEAMS[i % len(TEAMS)] for i in range(managers - 1)]
    teams += [TEAMS[i // 2] for i in range(len(core))]
    teams += [TEAMS[i] for i in rng.choice(len(TEAMS), size=drawn, p=[0.45, 0.3, 0.25])]
    ids = np.arange(1, n + 1, dtype=np.int64)
    manager_of_team = {teams[i]: int(ids[i]) for i in range(managers - 1, 0, -1)}
    manager = [None] + [1] * (managers - 1) + [manager_of_team[t] for t in teams[managers:]]
    fake = ctx.faker("en_US")
    names: list[str] = []
    emails: list[str] = []
    seen: set[str] = set()
    for _ in range(n):
        first, last = fake.first_name(), fake.last_name()
        email = f"{slug(first)}.{slug(last)}@{OUR_DOMAIN}"
        while email in seen:
            email = f"{slug(first)}.{slug(last)}{len(seen) % 97}@{OUR_DOMAIN}"
        seen.add(email)
        names.append(f"{first} {last}")
        emails.append(email)
    frame = Frame(
        Teammate,
        {
            "id": ids,
            "name": names,
            "email": emails,
            "role": roles,
            "team": teams,
            "manager_id": manager,
            "source_system": "demo",
            "external_id": [f"team-{i:03d}" for i in ids.tolist()],
        },
    )
    return Team(ids, roles, teams), frame


def generate_market(ctx: DemoContext, team: Team) -> tuple[Market, Frame]:
    rng = ctx.rng("market")
    n = ctx.volumes.accounts
    country_idx = pick(rng, [(c, w) for c, _, w in COUNTRIES], n)
    industry = pick(rng, INDUSTRIES, n)
    employees = np.clip(rng.lognormal(np.log(140), 1.3, n), 3, 90_000).astype(np.int64)
    revenue = np.round(employees * rng.lognormal(np.log(170_000), 0.5, n), -3)

    in_sweet_spot = np.array([INDUSTRIES[i][0] in SWEET_SPOT for i in industry])
    mid_size = (employees >= 50) & (employees <= 5_000)
    p_customer = 0.07 + 0.13 * in_sweet_spot + 0.07 * mid_size
    customer = rng.random(n) < p_customer
    churned = customer & (rng.random(n) < 0.2)
    partner = ~customer & (rng.random(n) < 0.02)
    lifecycle = np.where(churned, Lifecycle.CHURNED, np.where(customer, Lifecycle.CLIENT, Lifecycle.PROSPECT))
    lifecycle = np.where(partner, Lifecycle.PARTNER, lifecycle)

    since = ctx.today - rng.integers(45, 365 * 5, n)
    client_since = np.where(customer, since, -1)
    churn_day = np.minimum(since + rng.integers(300, 1_100, n), ctx.today - rng.integers(1, 200, n))
    churned_on = np.where(churned, np.maximum(churn_day, since + 1), -1)
    health = np.where(churned, rng.beta(2, 4, n), rng.beta(5, 2, n))

    names, domains, locales = _company_names(ctx, country_idx)
    countries = [COUNTRIES[i][0] for i in country_idx]
    regions = [REGIONS.get(c, "EMEA") for c in countries]
    owner = np.empty(n, dtype=np.int64)
    csm = np.zeros(n, dtype=np.int64)
    for region in TEAMS:
        where = np.array([r == region for r in regions])
        sellers = team.with_role(TeammateRole.ACCOUNT_EXECUTIVE, region)
        keepers = np.concatenate([team.with_role(TeammateRole.ACCOUNT_MANAGER, region), sellers])
        carers = team.with_role(TeammateRole.CUSTOMER_SUCCESS, region)
        owner[where] = np.where(customer[where], rng.choice(keepers, where.sum()), rng.choice(sellers, where.sum()))
        csm[where & customer] = rng.choice(carers, (where & customer).sum())

    ids = np.arange(1, n + 1, dtype=np.int64)
    market = Market(
        ids,
        names,
        domains,
        locales,
        industry,
        employees,
        lifecycle.tolist(),
        client_since,
        churned_on,
        health,
        owner,
        csm,
    )
    frame = Frame(
        Account,
        {
            "id": ids,
            "name": names,
            "name_key": [company_key(x) for x in names],
            "domain": domains,
            "industry": [INDUSTRIES[i][0] for i in industry],
            "employees": employees,
            "annual_revenue": revenue,
            "country": countries,
            "lifecycle": market.lifecycle,
            "client_since": dates_or_none(client_since),
            "churned_on": dates_or_none(churned_on),
            "owner_id": owner,
            "source_system": "demo",
            "external_id": [f"acct-{i:06d}" for i in ids.tolist()],
        },
    )
    return market, frame


def _company_names(ctx: DemoContext, country_idx: IntArray) -> tuple[list[str], list[str], list[str]]:
    """Unique company names in each country's style, and a reserved .example domain for each."""
    names: list[str] = []
    domains: list[str] = []
    locales: list[str] = []
    seen: set[str] = set()
    for i in country_idx.tolist():
        locale = COUNTRIES[i][1]
        fake = ctx.faker(locale)
        name, attempt = fake.company(), 0
        # A locale's names run out (French ones give ~7,000 distinct keys): add a city, then a number.
        while company_key(name) in seen or not slug(name):
            attempt += 1
            name = fake.company() if attempt < 5 else f"{fake.company()} {fake.city()}"
            if attempt >= 10:
                name = f"{name} {attempt}"
        seen.add(company_key(name))
        names.append(name)
        domains.append(f"{slug(company_key(name))}.example")
        locales.append(locale)
    return names, domains, locales
