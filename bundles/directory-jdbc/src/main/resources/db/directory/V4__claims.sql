-- Claimed epochs (docs/decisions/0027-claimed-epochs.md): the last owner that recorded, before its copy adopted
-- an epoch, that it may acknowledge changes under it. An epoch never claimed had nothing acknowledged under it,
-- so a promotion whose new owner never took the account over can give it back to its claimant.
ALTER TABLE accounts ADD COLUMN claimed_host VARCHAR(255);
ALTER TABLE accounts ADD COLUMN claimed_epoch BIGINT DEFAULT 0 NOT NULL;
-- accounts their owner took over (it keeps no replica row of its own): claimed by it under their epoch
UPDATE accounts SET claimed_host = mail_host, claimed_epoch = epoch
    WHERE NOT EXISTS (SELECT 1 FROM replicas r WHERE r.account_id = accounts.id AND r.destination = accounts.mail_host);
-- a take-over not finished: which copy holds every change is not known, so nobody is its claimant (never given back)
UPDATE accounts SET claimed_host = '' WHERE claimed_host IS NULL;
