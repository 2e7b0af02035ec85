# factory-boy's declarations (SubFactory, Sequence…) are untyped; its factories are generic.
# mypy: disable-error-code="attr-defined,no-untyped-call,untyped-decorator"
"""factory-boy factories for the shared fixture world."""

from __future__ import annotations

import datetime
from functools import lru_cache
from typing import Any

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

from openipt.accounts.models import User
from openipt.practice.models import (
    CareTeamMember,
    Client,
    Membership,
    Organisation,
    Practice,
    Role,
)

TEST_PASSWORD = "correct horse battery staple 42"


@lru_cache(maxsize=1)
def _test_password_hash() -> str:
    # Argon2 is deliberately slow; hash the shared test password once and
    # reuse the (real, argon2) hash for every factory-made user.
    return make_password(TEST_PASSWORD)


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")


class PracticeFactory(factory.django.DjangoModelFactory[Practice]):
    class Meta:
        model = Practice

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Practice {n}")
    crisis_line = "112"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Sequence(lambda n: f"Person {n}")

    @factory.post_generation
    def password(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if extracted:
            obj.set_password(extracted)
        else:
            obj.password = _test_password_hash()
        if create:
            obj.save()
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    practice = factory.SubFactory(PracticeFactory)
    organisation = factory.LazyAttribute(lambda m: m.practice.organisation)
    role = Role.CLINICIAN


class ClientFactory(factory.django.DjangoModelFactory[Client]):
    class Meta:
        model = Client

    practice = factory.SubFactory(PracticeFactory)
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    date_of_birth = datetime.date(1990, 5, 17)
    email = factory.Sequence(lambda n: f"client{n}@example.test")


class CareTeamMemberFactory(factory.django.DjangoModelFactory[CareTeamMember]):
    class Meta:
        model = CareTeamMember

    client = factory.SubFactory(ClientFactory)
    user = factory.SubFactory(UserFactory)
    role = "clinician"
