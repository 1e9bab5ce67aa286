/** One page of a list that is paged by page number and size, with the true total (CONTRACT §5). */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  limit: number;
}
