"""The law a decision record must be able to name, as data with citations.

UK GDPR Article 6 bases, Article 9 conditions for special category data, and the
conditions for criminal offence data (Article 10 with DPA 2018 Schedule 1).

The Data Protection Act 2018 decides which Schedule 1 condition each needs: Article
9(2)(b) and (h) a condition in Part 1 (section 10(2)); Article 9(2)(g) a condition in
Part 2 (section 10(3)); criminal offence data a condition in Part 1, 2 or 3 (section
10(5)), where Part 3 paragraph 36 lets a Part 2 condition serve without its substantial
public interest requirement. The codes are stored on decisions, so a code once used is
never renamed or removed; a condition the Act allows is added as a new code.
"""

from __future__ import annotations

from enum import StrEnum


class Art6Basis(StrEnum):
    PUBLIC_TASK = "6(1)(e)"
    LEGAL_OBLIGATION = "6(1)(c)"
    VITAL_INTERESTS = "6(1)(d)"
    LEGITIMATE_INTERESTS = "6(1)(f)"
    RECOGNISED_LEGITIMATE_INTEREST = "6(1)(ea)"
    CONSENT = "6(1)(a)"


class Art9Condition(StrEnum):
    SAFEGUARDING_SCH1_PARA18 = "9(2)(g)+DPA2018 Sch1 para18"
    UNLAWFUL_ACTS_SCH1_PARA10 = "9(2)(g)+DPA2018 Sch1 para10"
    SOCIAL_PROTECTION = "9(2)(b)"
    HEALTH_AND_SOCIAL_CARE = "9(2)(h)"
    VITAL_INTERESTS = "9(2)(c)"
    LEGAL_CLAIMS = "9(2)(f)"
    EXPLICIT_CONSENT = "9(2)(a)"


class Art10Condition(StrEnum):
    SAFEGUARDING_SCH1_PARA18 = "Art10+DPA2018 Sch1 para18"
    UNLAWFUL_ACTS_SCH1_PARA10 = "Art10+DPA2018 Sch1 para10"
    LEGAL_CLAIMS_SCH1_PARA33 = "Art10+DPA2018 Sch1 para33"
    STATUTORY_PURPOSES_SCH1_PARA6 = "Art10+DPA2018 Sch1 para6"


DESCRIPTIONS: dict[str, str] = {
    Art6Basis.PUBLIC_TASK: "UK GDPR Art 6(1)(e) public task — the usual basis for state bodies",
    Art6Basis.LEGAL_OBLIGATION: "UK GDPR Art 6(1)(c) legal obligation",
    Art6Basis.VITAL_INTERESTS: "UK GDPR Art 6(1)(d) vital interests",
    Art6Basis.LEGITIMATE_INTERESTS: "UK GDPR Art 6(1)(f) legitimate interests (private settings)",
    Art6Basis.RECOGNISED_LEGITIMATE_INTEREST: (
        "UK GDPR Art 6(1)(ea) recognised legitimate interest, safeguarding condition "
        "(Data (Use and Access) Act 2025, in force 5 February 2026)"
    ),
    Art6Basis.CONSENT: "UK GDPR Art 6(1)(a) consent — rarely the right basis in safeguarding",
    Art9Condition.SAFEGUARDING_SCH1_PARA18: (
        "UK GDPR Art 9(2)(g) with DPA 2018 s10(3) and Schedule 1 paragraph 18, safeguarding "
        "of children and of individuals at risk (Part 2): protecting a child, or an adult at "
        "risk, from neglect or harm or protecting their well-being, where consent cannot be "
        "given, cannot reasonably be expected to be obtained, or obtaining it would prejudice "
        "the protection (paragraph 18(2))"
    ),
    Art9Condition.UNLAWFUL_ACTS_SCH1_PARA10: (
        "UK GDPR Art 9(2)(g) with DPA 2018 s10(3) and Schedule 1 paragraph 10, preventing "
        "or detecting unlawful acts (Part 2): where asking for consent would prejudice that "
        "purpose"
    ),
    Art9Condition.SOCIAL_PROTECTION: (
        "UK GDPR Art 9(2)(b) employment, social security and social protection, with DPA "
        "2018 s10(2) and Schedule 1 paragraph 1 (Part 1)"
    ),
    Art9Condition.HEALTH_AND_SOCIAL_CARE: (
        "UK GDPR Art 9(2)(h) health or social care, with DPA 2018 s10(2) and Schedule 1 "
        "paragraph 2 (Part 1)"
    ),
    Art9Condition.VITAL_INTERESTS: (
        "UK GDPR Art 9(2)(c) vital interests — only where the person cannot consent; not "
        "where they can consent and refuse"
    ),
    Art9Condition.LEGAL_CLAIMS: "UK GDPR Art 9(2)(f) legal claims and courts",
    Art9Condition.EXPLICIT_CONSENT: "UK GDPR Art 9(2)(a) explicit consent",
    Art10Condition.SAFEGUARDING_SCH1_PARA18: (
        "Art 10 with DPA 2018 s10(5) and Schedule 1 paragraph 18, safeguarding of children "
        "and of individuals at risk (Part 2; Part 3 paragraph 36 extends Part 2 conditions "
        "to criminal offence data without the substantial public interest requirement): "
        "where consent cannot be given, cannot reasonably be expected to be obtained, or "
        "obtaining it would prejudice the protection (paragraph 18(2))"
    ),
    Art10Condition.UNLAWFUL_ACTS_SCH1_PARA10: (
        "Art 10 with DPA 2018 s10(5) and Schedule 1 paragraph 10, preventing or detecting "
        "unlawful acts (Part 2; Part 3 paragraph 36 extends Part 2 conditions to criminal "
        "offence data without the substantial public interest requirement): where asking "
        "for consent would prejudice that purpose"
    ),
    Art10Condition.LEGAL_CLAIMS_SCH1_PARA33: (
        "Art 10 with DPA 2018 s10(5) and Schedule 1 paragraph 33, legal claims (Part 3): "
        "legal proceedings, legal advice, or establishing, exercising or defending legal "
        "rights"
    ),
    Art10Condition.STATUTORY_PURPOSES_SCH1_PARA6: (
        "Art 10 with DPA 2018 s10(5) and Schedule 1 paragraph 6, statutory and government "
        "purposes (Part 2; Part 3 paragraph 36 extends Part 2 conditions to criminal "
        "offence data without the substantial public interest requirement)"
    ),
}
