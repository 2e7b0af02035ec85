from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "openipt.fhir"
    label = "fhir"
    verbose_name = "FHIR R4 export"
