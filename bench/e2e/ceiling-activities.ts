/** The ceiling workflow's one activity: returns at once, so only the engine's cost of a step remains. */
export interface CeilingActivities {
  noop(step: number): Promise<number>;
}

export const ceilingActivities: CeilingActivities = {
  noop: async (step) => step,
};
