// The keyset configuration (KEYSETS-AND-APPS.md §2): one definition of every block and field, from
// which come the whole config (responses) and the partial config (create and PATCH bodies).
// No `default` keyword anywhere: the validator applies defaults, and a PATCH must not gain fields it did not send.
import { Type, type Static, type TSchema } from 'typebox';
import { IdParams } from '../http/schemas.js';

export const FILES_REGIONS = ['us-east-1', 'us-west-1', 'eu-central-1', 'ap-south-1', 'ap-northeast-1'] as const;
export const APP_CONTEXT_REGIONS = ['aws-iad-1', 'aws-pdx-1', 'aws-fra-1', 'aws-bom-1', 'aws-hnd-1'] as const;
/** PubNub documents no DataSync regions; those of App Context are used (decided, README). */
export const DATA_SYNC_REGIONS = APP_CONTEXT_REGIONS;
/** Days; 0 = unlimited. */
export const RETENTIONS = [1, 7, 30, 90, 180, 365, 0] as const;

const listed = (values: readonly (string | number)[]) => values.join(', ');

/** One of the values, or null for "not set"; a wrong value is one message naming the accepted ones. */
function OneOfOrNull<const T extends readonly (string | number)[]>(values: T, description: string) {
  return Type.Unsafe<T[number] | null>(Type.Union([...values.map((v) => Type.Literal(v)), Type.Null()], {
    'x-expected': `one of: ${listed(values)}, or null`,
    description,
  }));
}

const TextOrNull = (description: string) =>
  Type.Union([Type.String({ minLength: 1, maxLength: 255, 'x-storable': true }), Type.Null()], {
    'x-expected': 'a string of 1 to 255 characters, or null',
    description,
  });

const BooleanOrNull = (description: string) =>
  Type.Union([Type.Boolean(), Type.Null()], { 'x-expected': 'a boolean or null', description });

const Flag = (description: string) => Type.Boolean({ description });

const blocks = {
  accessManager: Type.Object({
    enabled: Flag('Access Manager: requests need a token or the secret key'),
    tokenRevoke: BooleanOrNull('Allows revoking tokens; may add latency to API calls'),
  }),
  files: Type.Object({
    enabled: Flag('File sharing; needs retention and region'),
    retention: OneOfOrNull(RETENTIONS, 'How long files are kept, in days (0 = unlimited)'),
    region: OneOfOrNull(FILES_REGIONS, 'Where files are stored; cannot change once set'),
  }),
  streamController: Type.Object({
    enabled: Flag('Stream Controller: channel groups and wildcard subscribe'),
    wildcardSubscribe: Flag('Allows subscribing to foo.*'),
    channelGroupLimit: Type.Integer({ minimum: 1, maximum: 2000, description: 'Channels per channel group, 1 to 2000' }),
  }),
  appContext: Type.Object({
    enabled: Flag('App Context (user, channel and membership metadata); needs a region'),
    region: OneOfOrNull(APP_CONTEXT_REGIONS, 'Where App Context data is stored; cannot change once set'),
    userMetadataEvents: Flag('Send events on user metadata changes'),
    channelMetadataEvents: Flag('Send events on channel metadata changes'),
    membershipEvents: Flag('Send events on membership changes'),
    disallowGetAllChannelMetadata: Flag('Refuse "get all channel metadata" requests'),
    disallowGetAllUserMetadata: Flag('Refuse "get all user metadata" requests'),
    referentialIntegrity: Flag('Memberships need existing users and channels'),
  }),
  dataSync: Type.Object({
    enabled: Flag('DataSync; needs a region. Does not turn Access Manager on'),
    region: OneOfOrNull(DATA_SYNC_REGIONS, 'Where DataSync data is stored; cannot change once set'),
  }),
  apns: Type.Object({
    enabled: Flag('Apple Push Notification service'),
    teamId: TextOrNull('Apple team id'),
    authKeyId: TextOrNull('Apple auth key id'),
    filename: TextOrNull('Name of the uploaded auth key file'),
  }),
  fcm: Type.Object({
    filename: TextOrNull('Name of the uploaded Firebase credentials file'),
  }),
  messagePersistence: Type.Object({
    enabled: Flag('Message Persistence (history); needs retention'),
    retention: OneOfOrNull(RETENTIONS, 'How long messages are kept, in days (0 = unlimited)'),
    includePresenceEvents: Flag('Store presence events in history'),
    deleteFromHistory: Flag('Allow delete-message API calls'),
  }),
  presence: Type.Object({
    enabled: Flag('Presence'),
    announceMax: Type.Integer({ minimum: 0, maximum: 100, description: 'Occupancy above which join/leave events become interval events, 0 to 100' }),
    interval: Type.Integer({ minimum: 10, description: 'Seconds between interval events, at least 10' }),
    deltas: Flag('Interval events carry who joined and left'),
    generateLeaveOnDisconnect: Flag('A leave event when a client disconnects'),
    streamFiltering: Flag('Subscribers may filter presence events'),
    activeNoticeChannel: TextOrNull('Channel that receives active/inactive notices'),
    debounce: Type.Integer({ minimum: 0, description: 'Seconds a leave is held back before it is announced, at least 0' }),
  }),
};

type Blocks = typeof blocks;
export type BlockName = keyof Blocks;
export const BLOCK_NAMES = Object.keys(blocks) as BlockName[];

/** The defaults of a new keyset: the configuration fixture of PubNub's own client (decided, README). */
export const DEFAULT_KEYSET_CONFIG = {
  accessManager: { enabled: false, tokenRevoke: null },
  files: { enabled: true, retention: 7, region: 'us-east-1' },
  streamController: { enabled: true, wildcardSubscribe: true, channelGroupLimit: 100 },
  appContext: {
    enabled: true, region: 'aws-iad-1', userMetadataEvents: true, channelMetadataEvents: true, membershipEvents: true,
    disallowGetAllChannelMetadata: false, disallowGetAllUserMetadata: false, referentialIntegrity: false,
  },
  dataSync: { enabled: false, region: null },
  apns: { enabled: false, teamId: null, authKeyId: null, filename: null },
  fcm: { filename: null },
  messagePersistence: { enabled: true, retention: 7, includePresenceEvents: false, deleteFromHistory: false },
  presence: {
    enabled: true, announceMax: 20, interval: 10, deltas: false, generateLeaveOnDisconnect: false,
    streamFiltering: false, activeNoticeChannel: null, debounce: 2,
  },
} as const;

const closed = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false });

/** The whole configuration, as every response that returns one carries it. */
export const KeysetConfigSchema = Type.Object(
  {
    accessManager: closed(blocks.accessManager.properties),
    files: closed(blocks.files.properties),
    streamController: closed(blocks.streamController.properties),
    appContext: closed(blocks.appContext.properties),
    dataSync: closed(blocks.dataSync.properties),
    apns: closed(blocks.apns.properties),
    fcm: closed(blocks.fcm.properties),
    messagePersistence: closed(blocks.messagePersistence.properties),
    presence: closed(blocks.presence.properties),
  },
  { additionalProperties: false, description: 'The whole keyset configuration', example: DEFAULT_KEYSET_CONFIG },
);

const partialProperties = {
  accessManager: Type.Optional(closed(Type.Partial(blocks.accessManager).properties)),
  files: Type.Optional(closed(Type.Partial(blocks.files).properties)),
  streamController: Type.Optional(closed(Type.Partial(blocks.streamController).properties)),
  appContext: Type.Optional(closed(Type.Partial(blocks.appContext).properties)),
  dataSync: Type.Optional(closed(Type.Partial(blocks.dataSync).properties)),
  apns: Type.Optional(closed(Type.Partial(blocks.apns).properties)),
  fcm: Type.Optional(closed(Type.Partial(blocks.fcm).properties)),
  messagePersistence: Type.Optional(closed(Type.Partial(blocks.messagePersistence).properties)),
  presence: Type.Optional(closed(Type.Partial(blocks.presence).properties)),
};

const MERGE_NOTE = 'Blocks not sent, and fields not sent inside a block, keep their value; '
  + 'files.region, appContext.region and dataSync.region cannot change once set; '
  + 'enabled: true needs a region (files, appContext, dataSync) and a retention (files, messagePersistence).';

/** A partial configuration in POST /v2/keysets: merged over the defaults, one level deep. */
export const KeysetConfigInput = Type.Object(partialProperties, {
  additionalProperties: false,
  description: `Any blocks, each with any of its fields, merged over the defaults. ${MERGE_NOTE}`,
  example: { messagePersistence: { enabled: true, retention: 30 } },
});

/** The body of PATCH /v2/keysets/:id/config: at least one block, merged over the stored config. */
export const KeysetConfigPatchBody = Type.Object(partialProperties, {
  additionalProperties: false,
  minProperties: 1,
  description: `At least one block, each with any of its fields. ${MERGE_NOTE}`,
  example: { accessManager: { enabled: true, tokenRevoke: true }, appContext: { disallowGetAllChannelMetadata: true } },
});

export const KeysetConfigParams = IdParams('The keyset id');

export type KeysetConfig = Static<typeof KeysetConfigSchema>;
export type KeysetConfigPatch = Static<typeof KeysetConfigInput>;
