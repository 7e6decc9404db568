"""The register's models, one module per subject: the vocabularies, the initiatives, their partners,
and the maintainers' workflow. Imported from here (`from registry.models import Initiative`)."""

from registry.models.documents import InitiativeDocument
from registry.models.initiatives import (
    Initiative,
    LegalForm,
    LocationPrecision,
    PublicationState,
    SlugAlias,
    Status,
    StopReason,
    VerificationMethod,
    first_free_slug,
    slug_base,
)
from registry.models.partners import Partner, Partnership
from registry.models.vocabularies import FundingSource, Kind, PartnerKind, PartnershipRole, Service, Vocabulary
from registry.models.workflow import (
    DuplicateCandidate,
    DuplicateDecision,
    ImportRun,
    Maintainer,
    Merge,
    Role,
    Suggestion,
    SuggestionKind,
    SuggestionOrigin,
    SuggestionState,
    merged_into,
)

__all__ = [
    "DuplicateCandidate",
    "DuplicateDecision",
    "FundingSource",
    "ImportRun",
    "Initiative",
    "InitiativeDocument",
    "Kind",
    "LegalForm",
    "LocationPrecision",
    "Maintainer",
    "Merge",
    "Partner",
    "PartnerKind",
    "Partnership",
    "PartnershipRole",
    "PublicationState",
    "Role",
    "Service",
    "SlugAlias",
    "Status",
    "StopReason",
    "Suggestion",
    "SuggestionKind",
    "SuggestionOrigin",
    "SuggestionState",
    "VerificationMethod",
    "Vocabulary",
    "first_free_slug",
    "merged_into",
    "slug_base",
]
