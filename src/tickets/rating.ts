/** ★★★★☆ for 4: a rating as the customer and the team see it. */
export function stars(rating: number): string {
  return '★'.repeat(rating) + '☆'.repeat(5 - rating);
}
