/** Post or Comment: a post document has a postType, a comment does not. */
export const FeedReactable = {
  __resolveType: (entity: object): 'Post' | 'Comment' => ('postType' in entity ? 'Post' : 'Comment'),
};
