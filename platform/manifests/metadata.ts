/** The labels and annotations every generated object carries. */

export const PART_OF = 'tenantry'

/** The recommended app.kubernetes.io labels, which the cluster's policies require on pods. */
export function labelsOf(name: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/component': component,
  }
}

/**
 * The Argo CD sync wave of an object of the functions' Application: settings and
 * policies (-2), then the migration Job (-1, a Sync hook), the functions (0), and their
 * public routes (1) once the functions they lead to exist.
 */
export function syncWave(wave: -2 | -1 | 0 | 1): Record<string, string> {
  return { 'argocd.argoproj.io/sync-wave': String(wave) }
}
