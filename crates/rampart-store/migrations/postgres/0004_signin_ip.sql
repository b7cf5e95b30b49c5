-- The sign-in's source address as a sortable key, for retro-hunts by indicator: the 32
-- lower-case hex digits of its IPv6 form (IPv4 as ::ffff:a.b.c.d), so that a network is
-- one range; '' when the sign-in has no address. NULL only on rows stored before this
-- column existed, until the store fills them in at open.
ALTER TABLE signins ADD COLUMN ip_key TEXT;
CREATE INDEX signins_ip ON signins (ip_key, time);
