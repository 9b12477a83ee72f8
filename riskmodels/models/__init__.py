"""Models: expert scorecard, logistic WoE scorecard, KMV-style structural, cross-tabulation."""
