"""FHIR R4 interoperability: a person's records out as Bundles, child protection flags in."""
