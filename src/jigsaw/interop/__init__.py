"""Speaking the draft standards other systems speak: MAIS request objects, W3C PROV-O,
FHIR. Each module translates between them and the domain; none owns a decision."""
