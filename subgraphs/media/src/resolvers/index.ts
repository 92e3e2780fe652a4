import type { GraphQLResolverMap } from '@social/kit';
import {
  MediaCategory,
  MediaFileType,
  MediaProcessingStatus,
  MediaUsageEntityType,
  MediaVariantName,
} from '../media/names.js';
import type { MediaContext } from '../subgraph.js';
import { MediaFile } from './MediaFile.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { User } from './User.js';

/** Resolvers by type, one file per GraphQL type; enums map GraphQL names to the seed's stored values. */
export const resolvers = {
  Query,
  Mutation,
  MediaFile,
  User,
  MediaFileType,
  MediaCategory,
  MediaProcessingStatus,
  MediaVariantName,
  MediaUsageEntityType,
} as unknown as GraphQLResolverMap<MediaContext>;
