// Smooth weighted round-robin (the nginx upstream algorithm): each pick adds every eligible member's weight to
// its running score, takes the highest score, and takes the total weight off the winner. Over any window the
// picks follow the weights as closely as integers allow (1:2:3 gives C B A C B C, not C C C B B A), and the
// only state is one integer per queue member, which lives in Postgres next to the queue row it is locked with.

/** A member in the running: its weight and its running score. */
export type RotationEntry = { id: string; weight: number; score: number };

/** The winner and every entrant's new score; null when nobody has a positive weight. */
export type RotationPick = { winner: string; scores: Map<string, number> };

/** One step of smooth weighted round-robin over the eligible entrants (ties go to the lowest id, for determinism). */
export function pickWeighted(entrants: readonly RotationEntry[]): RotationPick | null {
  const inPlay = entrants.filter((entry) => entry.weight > 0);
  if (inPlay.length === 0) return null;
  const total = inPlay.reduce((sum, entry) => sum + entry.weight, 0);
  const scores = new Map<string, number>();
  let best: { id: string; score: number } | undefined;
  for (const entry of inPlay) {
    const score = entry.score + entry.weight;
    scores.set(entry.id, score);
    if (best === undefined || score > best.score || (score === best.score && entry.id < best.id)) best = { id: entry.id, score };
  }
  const winner = best!.id;
  scores.set(winner, best!.score - total);
  return { winner, scores };
}
