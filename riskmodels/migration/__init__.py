"""Rating-migration matrices: cohort and duration estimators, generators, multi-year PDs, stability.

Examples
--------
>>> import riskmodels as rm
>>> from riskmodels.migration import complete_matrix, generator_from_matrix, is_generator
>>> p = complete_matrix(rm.load_sp_transitions(1))
>>> p.shape, bool(is_generator(generator_from_matrix(p.to_numpy())))
((8, 8), True)
"""

from riskmodels.errors import MigrationError
from riskmodels.migration.estimators import (
    MigrationResult,
    aalen_johansen,
    cohort_counts,
    cohort_matrix,
    duration_generator,
    duration_matrix,
    row_normalise,
)
from riskmodels.migration.generator import (
    adjust_generator,
    check_stochastic,
    complete_matrix,
    cumulative_pd,
    cumulative_pd_from_generator,
    generator_from_matrix,
    generator_violations,
    is_generator,
    transition_from_generator,
)
from riskmodels.migration.panel import RatingPaths, rating_paths
from riskmodels.migration.plot import plot_matrix
from riskmodels.migration.stability import (
    MatrixBandwidth,
    MigrationZTest,
    matrix_weighted_bandwidth,
    migration_z_test,
    stability_table,
)

__all__ = [
    "MigrationError", "MigrationResult", "RatingPaths", "rating_paths", "cohort_matrix",
    "duration_matrix", "cohort_counts", "duration_generator", "aalen_johansen", "row_normalise",
    "generator_from_matrix", "adjust_generator", "is_generator", "generator_violations",
    "check_stochastic", "complete_matrix", "transition_from_generator", "cumulative_pd",
    "cumulative_pd_from_generator", "matrix_weighted_bandwidth", "migration_z_test",
    "stability_table", "plot_matrix", "MatrixBandwidth", "MigrationZTest",
]
