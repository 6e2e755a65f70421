-- +goose Up
-- Late-payment rates by calendar half-year, in basis points a year. They are
-- data: a later half-year is added by a migration or PUT /v1/interest-rates/{half},
-- and a computation over a half-year missing here is an error, never a guess.
--   ecb_refi_bp          ECB main refinancing rate in force on 1 January / 1 July;
--                        between professionals late interest is this + 10 points
--                        (Code de commerce L441-10).
--   legal_other_bp       legal interest rate "for all other cases" (Code monétaire
--                        et financier L313-2, 2°): what a business creditor claims
--                        from a consumer from the formal notice (Code civil 1231-6).
--   legal_individual_bp  legal interest rate for creditors who are individuals not
--                        acting professionally (L313-2, 1°).
CREATE TABLE interest_rates (
    half_year_start      date PRIMARY KEY
                         CHECK (extract(day FROM half_year_start) = 1 AND extract(month FROM half_year_start) IN (1, 7)),
    ecb_refi_bp          int NOT NULL CHECK (ecb_refi_bp BETWEEN 0 AND 2000),
    legal_other_bp       int NOT NULL CHECK (legal_other_bp BETWEEN 0 AND 2000),
    legal_individual_bp  int NOT NULL CHECK (legal_individual_bp BETWEEN 0 AND 2000),
    source               text NOT NULL CHECK (source <> ''),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Published values. ECB: the rate of the main refinancing operations on the
-- half-year's first day (4.50 % from 20 Sep 2023; 4.25 % from 12 Jun 2024;
-- 3.15 % from 18 Dec 2024; 2.15 % from 11 Jun 2025, left unchanged by the
-- Governing Council in December 2025 and on 5 February 2026). Legal rates:
-- the arrêtés named in each row, taken under CMF L313-2 and D313-1-A.
-- 2026-H2 is not shipped: its figures could not be checked against a
-- publication when this was written; add them before computing into it.
INSERT INTO interest_rates (half_year_start, ecb_refi_bp, legal_other_bp, legal_individual_bp, source) VALUES
    ('2024-01-01', 450, 507, 801, 'BCE 4,50 % au 1er janvier 2024 (décision du 14/09/2023) ; arrêté du 21 décembre 2023 (taux légal 1er semestre 2024)'),
    ('2024-07-01', 425, 492, 816, 'BCE 4,25 % au 1er juillet 2024 (décision du 06/06/2024) ; arrêté de juin 2024 (taux légal 2nd semestre 2024)'),
    ('2025-01-01', 315, 371, 721, 'BCE 3,15 % au 1er janvier 2025 (décision du 12/12/2024) ; arrêté du 17 décembre 2024 (taux légal 1er semestre 2025)'),
    ('2025-07-01', 215, 276, 665, 'BCE 2,15 % au 1er juillet 2025 (décision du 05/06/2025) ; arrêté du 19 juin 2025, JO du 24 juin 2025 (taux légal 2nd semestre 2025)'),
    ('2026-01-01', 215, 262, 667, 'BCE 2,15 % au 1er janvier 2026 (inchangé depuis le 11/06/2025) ; arrêté du 15 décembre 2025, JORF n° 0302 du 26 décembre 2025 (taux légal 1er semestre 2026)');

-- +goose Down
DROP TABLE interest_rates;
