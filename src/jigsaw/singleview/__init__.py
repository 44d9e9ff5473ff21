"""The single view of a child: who knows them, one chronology, and patterns across agencies."""
