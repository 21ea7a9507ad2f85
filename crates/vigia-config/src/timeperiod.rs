//! Timeperiods: every Nagios form of rule, and the questions the engine asks of them (is this
//! instant inside? when is the next instant inside?).
//!
//! Rule forms (Nagios "Time Periods" documentation, Alignak `daterange.py`), each followed by
//! time ranges `HH:MM-HH:MM[,…]`:
//! - weekday: `monday`
//! - calendar date: `2007-01-28`, `2007-01-01 - 2008-02-01`, with an optional `/ N` skip
//! - month date: `july 4`, `april 10 - may 15`, `july 10 - 15`
//! - month day: `day 1`, `day -1` (last day), `day 1 - 15`
//! - weekday of a month: `thursday -1 november`, `tuesday 1 april - friday 2 october`
//! - weekday of every month: `monday 3`, `monday 1 - thursday 4`
//!
//! A period is valid at an instant when any of its rules is and none of its excluded periods is.
//! Nagios gives date exceptions precedence over weekday lines; Alignak takes the union of all
//! rules, and Vigia follows Alignak.
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

const DAY: u32 = 86_400;
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A resolved timeperiod. `excludes` are indexes into [`Timeperiods::periods`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timeperiod {
    pub name: String,
    pub alias: String,
    pub rules: Vec<Rule>,
    pub excludes: Vec<usize>,
}

/// One line of a timeperiod: which days, and which seconds of those days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub days: Days,
    /// Skip: only every N-th day of the range counts (1 = every day).
    pub skip: u32,
    /// Seconds of the day, `[start, end)`, sorted and merged.
    pub ranges: Vec<(u32, u32)>,
    /// The line as written, for the object cache and messages.
    pub text: String,
}

/// A day in a month: positive from the start, negative from the end (`-1` = last).
pub type MonthDay = i8;

/// Which days a rule covers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Days {
    /// Monday = 0.
    Weekday(u8),
    /// Calendar dates, inclusive; `end: None` means open-ended (only with a skip).
    Calendar {
        start: (i16, i8, i8),
        end: Option<(i16, i8, i8)>,
    },
    /// `MONTH D - MONTH D` (months 1–12), possibly wrapping over the new year.
    MonthDate { start: (i8, MonthDay), end: (i8, MonthDay) },
    /// `day D - D` in every month, possibly wrapping into the next month.
    MonthDay { start: MonthDay, end: MonthDay },
    /// `WEEKDAY N MONTH - WEEKDAY N MONTH`: (weekday, nth, month).
    MonthWeekday { start: (u8, i8, i8), end: (u8, i8, i8) },
    /// `WEEKDAY N - WEEKDAY N` in every month: (weekday, nth).
    NthWeekday { start: (u8, i8), end: (u8, i8) },
}

impl Timeperiod {
    pub fn new(name: &str) -> Timeperiod {
        Timeperiod {
            name: name.to_string(),
            alias: String::new(),
            rules: Vec::new(),
            excludes: Vec::new(),
        }
    }

    /// Whether a property key of a `define timeperiod` starts a rule (rather than being a
    /// property such as `alias` or `exclude`).
    pub fn is_rule_key(key: &str) -> bool {
        // The key may be the whole day specification (`monday 3`): its first word decides.
        let k = key.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        WEEKDAYS.contains(&k.as_str())
            || MONTHS.contains(&k.as_str())
            || k == "day"
            || k.as_bytes().first().is_some_and(u8::is_ascii_digit)
    }

    /// Parses and adds one rule line (`key value` as written).
    pub fn add_rule(&mut self, line: &str) -> Result<(), String> {
        self.rules.push(parse_rule(line)?);
        Ok(())
    }
}

impl Rule {
    pub fn is_weekday(&self) -> bool {
        matches!(self.days, Days::Weekday(_))
    }

    /// Sunday 0 … Saturday 6 for a weekday rule (Nagios's order), else 7.
    pub fn sunday_first_rank(&self) -> u8 {
        match self.days {
            Days::Weekday(d) => (d + 1) % 7,
            _ => 7,
        }
    }

    /// The kind of exception, in the order Nagios lists them: calendar dates, month dates,
    /// month days, weekdays of a month, weekdays (then plain weekday rules).
    pub fn kind_rank(&self) -> u8 {
        match self.days {
            Days::Calendar { .. } => 0,
            Days::MonthDate { .. } => 1,
            Days::MonthDay { .. } => 2,
            Days::MonthWeekday { .. } => 3,
            Days::NthWeekday { .. } => 4,
            Days::Weekday(_) => 5,
        }
    }

    /// The rule as Nagios writes it in its object cache: its days, normalised (`2007-01-01 -
    /// 2008-02-01 / 3`, `december 25`, `day 1 - 15`, `thursday -1 november`, `monday 3`), and
    /// its time ranges (`00:00-09:00,17:00-24:00`).
    pub fn cache_line(&self) -> (String, String) {
        let weekday = |d: u8| WEEKDAYS.get(d as usize).copied().unwrap_or("?");
        let month = |m: i8| MONTHS.get((m - 1).max(0) as usize).copied().unwrap_or("?");
        let date = |(y, m, d): (i16, i8, i8)| format!("{y}-{m:02}-{d:02}");
        let mut days = match &self.days {
            Days::Weekday(d) => weekday(*d).to_string(),
            Days::Calendar { start, end } => match end {
                Some(e) if e != start => format!("{} - {}", date(*start), date(*e)),
                _ => date(*start),
            },
            Days::MonthDate { start, end } if start == end => format!("{} {}", month(start.0), start.1),
            Days::MonthDate { start, end } => {
                format!("{} {} - {} {}", month(start.0), start.1, month(end.0), end.1)
            }
            Days::MonthDay { start, end } if start == end => format!("day {start}"),
            Days::MonthDay { start, end } => format!("day {start} - {end}"),
            Days::MonthWeekday { start, end } => {
                let one = |(w, n, m): (u8, i8, i8)| format!("{} {n} {}", weekday(w), month(m));
                if start == end {
                    one(*start)
                } else {
                    format!("{} - {}", one(*start), one(*end))
                }
            }
            Days::NthWeekday { start, end } => {
                let one = |(w, n): (u8, i8)| format!("{} {n}", weekday(w));
                if start == end {
                    one(*start)
                } else {
                    format!("{} - {}", one(*start), one(*end))
                }
            }
        };
        if self.skip > 1 {
            days.push_str(&format!(" / {}", self.skip));
        }
        let clock = |s: u32| format!("{:02}:{:02}", s / 3600, s % 3600 / 60);
        let ranges = self
            .ranges
            .iter()
            .map(|&(a, b)| format!("{}-{}", clock(a), clock(b)))
            .collect::<Vec<_>>()
            .join(",");
        (days, ranges)
    }
}

/// Every timeperiod of a configuration; exclusions refer across periods, so questions are asked
/// of the whole set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeperiods {
    pub periods: Vec<Timeperiod>,
}

impl Timeperiods {
    /// Whether instant `t` is inside period `period`, in local time `tz`.
    pub fn is_inside(&self, period: usize, t: Timestamp, tz: &TimeZone) -> bool {
        let local = tz.to_datetime(t);
        let second = local.hour() as u32 * 3600 + local.minute() as u32 * 60 + local.second() as u32;
        self.day_ranges(period, local.date(), 0)
            .iter()
            .any(|&(s, e)| s <= second && second < e)
    }

    /// The first instant ≥ `t` inside `period`, looking up to ~5 years ahead (skips and
    /// calendar dates can be that far); `None` when the period is never valid in that time.
    pub fn next_valid(&self, period: usize, t: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        self.next_edge(period, t, tz, true)
    }

    /// The first instant ≥ `t` outside `period` (how long a downtime-like window lasts).
    pub fn next_invalid(&self, period: usize, t: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        self.next_edge(period, t, tz, false)
    }

    fn next_edge(&self, period: usize, t: Timestamp, tz: &TimeZone, want_inside: bool) -> Option<Timestamp> {
        let local = tz.to_datetime(t);
        let mut date = local.date();
        let mut from = local.hour() as u32 * 3600 + local.minute() as u32 * 60 + local.second() as u32;
        for _ in 0..(5 * 366) {
            let ranges = self.day_ranges(period, date, 0);
            let found = if want_inside {
                ranges.iter().find(|&&(_, e)| e > from).map(|&(s, _)| s.max(from))
            } else {
                first_gap(&ranges, from)
            };
            if let Some(second) = found {
                return to_timestamp(date, second, tz).map(|ts| ts.max(t));
            }
            date = date.tomorrow().ok()?;
            from = 0;
        }
        None
    }

    /// The valid seconds of `date` for `period`: its rules' ranges minus its excluded periods'.
    fn day_ranges(&self, period: usize, date: Date, depth: u32) -> Vec<(u32, u32)> {
        let Some(tp) = self.periods.get(period) else {
            return Vec::new();
        };
        let mut ranges = Vec::new();
        for rule in &tp.rules {
            if rule.covers(date) {
                ranges.extend_from_slice(&rule.ranges);
            }
        }
        let mut ranges = merge(ranges);
        // Loops are refused at load time; the depth bound keeps a bad value from recursing forever.
        if depth < 32 {
            for &ex in &tp.excludes {
                if ranges.is_empty() {
                    break;
                }
                ranges = subtract(&ranges, &self.day_ranges(ex, date, depth + 1));
            }
        }
        ranges
    }
}

/// The first second ≥ `from` in the day not covered by `ranges` (sorted, merged).
fn first_gap(ranges: &[(u32, u32)], from: u32) -> Option<u32> {
    let mut at = from;
    for &(s, e) in ranges {
        if e <= at {
            continue;
        }
        if s > at {
            break;
        }
        at = e;
    }
    (at < DAY).then_some(at)
}

fn to_timestamp(date: Date, second: u32, tz: &TimeZone) -> Option<Timestamp> {
    let time = Time::new((second / 3600) as i8, (second / 60 % 60) as i8, (second % 60) as i8, 0).ok()?;
    // A local time skipped by a DST change resolves to the instant after the gap.
    tz.to_ambiguous_timestamp(DateTime::from_parts(date, time))
        .compatible()
        .ok()
}

fn merge(mut ranges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    ranges.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn subtract(ranges: &[(u32, u32)], minus: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for &(mut s, e) in ranges {
        for &(ms, me) in minus {
            if me <= s || ms >= e {
                continue;
            }
            if ms > s {
                out.push((s, ms));
            }
            s = s.max(me);
            if s >= e {
                break;
            }
        }
        if s < e {
            out.push((s, e));
        }
    }
    out
}

impl Rule {
    /// Whether the rule's days include `date` (skips counted from the range's first day).
    pub fn covers(&self, date: Date) -> bool {
        let Some(start) = self.days.start_of_range_holding(date) else {
            return false;
        };
        self.skip <= 1 || (day_number(date) - day_number(start)) % self.skip as i64 == 0
    }
}

impl Days {
    /// The first day of the occurrence of this range that holds `date`, if one does.
    fn start_of_range_holding(&self, date: Date) -> Option<Date> {
        match *self {
            Days::Weekday(w) => (weekday(date) == w).then_some(date),
            Days::Calendar { start, end } => {
                let s = Date::new(start.0, start.1, start.2).ok()?;
                let inside = date >= s
                    && match end {
                        Some(e) => date <= Date::new(e.0, e.1, e.2).ok()?,
                        None => true,
                    };
                inside.then_some(s)
            }
            Days::MonthDate { start, end } => yearly(date, |year| {
                Some((month_day(year, start.0, start.1)?, month_day(year, end.0, end.1)?))
            }),
            Days::MonthWeekday { start, end } => yearly(date, |year| {
                Some((
                    nth_weekday(year, start.2, start.0, start.1)?,
                    nth_weekday(year, end.2, end.0, end.1)?,
                ))
            }),
            Days::MonthDay { start, end } => monthly(date, |year, month| {
                Some((month_day(year, month, start)?, month_day(year, month, end)?))
            }),
            Days::NthWeekday { start, end } => monthly(date, |year, month| {
                Some((
                    nth_weekday(year, month, start.0, start.1)?,
                    nth_weekday(year, month, end.0, end.1)?,
                ))
            }),
        }
    }
}

/// A range that recurs every year and may wrap over the new year: the occurrence holding `date`.
fn yearly(date: Date, bounds: impl Fn(i16) -> Option<(Date, Date)>) -> Option<Date> {
    let year = date.year();
    for y in [year, year - 1] {
        let Some((s, mut e)) = bounds(y) else { continue };
        if e < s {
            e = bounds(y + 1)?.1;
        }
        if s <= date && date <= e {
            return Some(s);
        }
    }
    None
}

/// A range that recurs every month and may wrap into the next month.
fn monthly(date: Date, bounds: impl Fn(i16, i8) -> Option<(Date, Date)>) -> Option<Date> {
    let (year, month) = (date.year(), date.month());
    let previous = if month == 1 { (year - 1, 12) } else { (year, month - 1) };
    for (y, m) in [(year, month), previous] {
        let Some((s, mut e)) = bounds(y, m) else { continue };
        if e < s {
            let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            e = bounds(next.0, next.1)?.1;
        }
        if s <= date && date <= e {
            return Some(s);
        }
    }
    None
}

/// Day `day` of a month (negative from the end); `None` when the month is too short.
fn month_day(year: i16, month: i8, day: MonthDay) -> Option<Date> {
    let first = Date::new(year, month, 1).ok()?;
    let len = first.days_in_month();
    let d = if day < 0 { len + 1 + day } else { day };
    if d < 1 || d > len {
        return None;
    }
    Date::new(year, month, d).ok()
}

fn nth_weekday(year: i16, month: i8, weekday: u8, nth: i8) -> Option<Date> {
    let first = Date::new(year, month, 1).ok()?;
    let wd = jiff::civil::Weekday::from_monday_zero_offset(weekday as i8).ok()?;
    first.nth_weekday_of_month(nth, wd).ok()
}

/// Days since 1970-01-01 (proleptic Gregorian), for skips.
fn day_number(date: Date) -> i64 {
    let (y, m, d) = (date.year() as i64, date.month() as i64, date.day() as i64);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Monday = 0.
fn weekday(date: Date) -> u8 {
    (day_number(date) + 3).rem_euclid(7) as u8
}

fn parse_rule(line: &str) -> Result<Rule, String> {
    let text = line.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = text.to_ascii_lowercase();
    // The time ranges are the last word that looks like `HH:MM-HH:MM[,…]`.
    let mut words: Vec<&str> = lower.split(' ').collect();
    let times = match words.last() {
        Some(w) if w.contains(':') => words.pop().unwrap_or_default(),
        _ => return Err(format!("timeperiod rule '{text}' has no time ranges (HH:MM-HH:MM)")),
    };
    // A time range list may have been written with spaces after commas: join them back.
    let mut times = times.to_string();
    while let Some(w) = words.last() {
        if w.ends_with(',') && w.contains(':') {
            times = format!("{w}{times}");
            words.pop();
        } else {
            break;
        }
    }
    let ranges = parse_times(&times).map_err(|e| format!("timeperiod rule '{text}': {e}"))?;
    let (days, skip) = parse_days(&words).map_err(|e| format!("timeperiod rule '{text}': {e}"))?;
    Ok(Rule {
        days,
        skip,
        ranges,
        text,
    })
}

fn parse_times(s: &str) -> Result<Vec<(u32, u32)>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part
            .split_once('-')
            .ok_or_else(|| format!("bad time range '{part}' (expected HH:MM-HH:MM)"))?;
        let (s, e) = (parse_clock(a)?, parse_clock(b)?);
        if e < s {
            return Err(format!("time range '{part}' ends before it starts"));
        }
        if e > s {
            out.push((s, e));
        }
    }
    Ok(merge(out))
}

fn parse_clock(s: &str) -> Result<u32, String> {
    let bad = || format!("bad time '{s}' (expected HH:MM, 00:00 to 24:00)");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60)
}

fn parse_days(words: &[&str]) -> Result<(Days, u32), String> {
    // Split off `/ N`.
    let (words, skip) = match words.iter().position(|w| *w == "/" || w.starts_with('/')) {
        Some(i) => {
            let rest: String = words[i..].concat();
            let n: u32 = rest
                .trim_start_matches('/')
                .parse()
                .map_err(|_| format!("bad skip '{rest}' (expected / N)"))?;
            if n == 0 {
                return Err("skip must be at least 1".into());
            }
            (&words[..i], n)
        }
        None => (words, 1),
    };
    // Split `A - B` (the dash may be glued: `1-15`, `2007-01-01 - 2008-01-01`).
    let joined = words.join(" ");
    let (left, right) = match joined.split_once(" - ") {
        Some((l, r)) => (l.trim().to_string(), Some(r.trim().to_string())),
        None => match glued_range(&joined) {
            Some((l, r)) => (l, Some(r)),
            None => (joined.clone(), None),
        },
    };
    let l: Vec<&str> = left.split(' ').filter(|w| !w.is_empty()).collect();
    let r: Option<Vec<&str>> = right.as_ref().map(|r| r.split(' ').filter(|w| !w.is_empty()).collect());
    let days = match (l.as_slice(), r.as_deref()) {
        ([w], None) if weekday_index(w).is_some() => Days::Weekday(weekday_index(w).unwrap_or(0)),
        ([d], r) if d.as_bytes().first().is_some_and(u8::is_ascii_digit) => {
            let start = calendar(d)?;
            let end = match r {
                None if skip > 1 => None,
                None => Some(start),
                Some([e]) => Some(calendar(e)?),
                Some(_) => return Err("expected YYYY-MM-DD - YYYY-MM-DD".into()),
            };
            Days::Calendar { start, end }
        }
        (["day", d], r) => {
            let start = month_day_number(d)?;
            let end = match r {
                None => start,
                Some([e]) | Some(["day", e]) => month_day_number(e)?,
                Some(_) => return Err("expected day D - D".into()),
            };
            Days::MonthDay { start, end }
        }
        ([m, d], r) if month_index(m).is_some() => {
            let start = (month_index(m).unwrap_or(1), month_day_number(d)?);
            let end = match r {
                None => start,
                Some([e]) => (start.0, month_day_number(e)?),
                Some([m2, e]) => (
                    month_index(m2).ok_or_else(|| format!("unknown month '{m2}'"))?,
                    month_day_number(e)?,
                ),
                Some(_) => return Err("expected MONTH D - MONTH D".into()),
            };
            Days::MonthDate { start, end }
        }
        ([w, n, m], r) if weekday_index(w).is_some() => {
            let start = weekday_of_month(w, n, m)?;
            let end = match r {
                None => start,
                Some([w2, n2, m2]) => weekday_of_month(w2, n2, m2)?,
                Some([w2, n2]) => weekday_of_month(w2, n2, m)?,
                Some(_) => return Err("expected WEEKDAY N MONTH - WEEKDAY N MONTH".into()),
            };
            Days::MonthWeekday { start, end }
        }
        ([w, n], r) if weekday_index(w).is_some() => {
            let start = (weekday_index(w).unwrap_or(0), nth(n)?);
            let end = match r {
                None => start,
                Some([w2, n2]) => (
                    weekday_index(w2).ok_or_else(|| format!("unknown weekday '{w2}'"))?,
                    nth(n2)?,
                ),
                Some(_) => return Err("expected WEEKDAY N - WEEKDAY N".into()),
            };
            Days::NthWeekday { start, end }
        }
        _ => return Err("unrecognised day specification".into()),
    };
    Ok((days, skip))
}

/// `day 1-15` / `july 10-15`: a dash glued between two numbers at the end.
fn glued_range(s: &str) -> Option<(String, String)> {
    let (head, last) = s.rsplit_once(' ')?;
    let (a, b) = last.split_once('-')?;
    if a.parse::<i32>().is_ok() && b.parse::<i32>().is_ok() && !a.is_empty() {
        Some((format!("{head} {a}"), b.to_string()))
    } else {
        None
    }
}

fn calendar(s: &str) -> Result<(i16, i8, i8), String> {
    let bad = || format!("bad date '{s}' (expected YYYY-MM-DD)");
    let mut it = s.split('-');
    let (Some(y), Some(m), Some(d), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(bad());
    };
    let (y, m, d) = (
        y.parse::<i16>().map_err(|_| bad())?,
        m.parse::<i8>().map_err(|_| bad())?,
        d.parse::<i8>().map_err(|_| bad())?,
    );
    Date::new(y, m, d).map_err(|_| bad())?;
    Ok((y, m, d))
}

fn month_day_number(s: &str) -> Result<MonthDay, String> {
    match s.parse::<i8>() {
        Ok(d) if d != 0 && (-31..=31).contains(&d) => Ok(d),
        _ => Err(format!("bad day of month '{s}' (1 to 31, or -1 to -31 from the end)")),
    }
}

fn nth(s: &str) -> Result<i8, String> {
    match s.parse::<i8>() {
        Ok(n) if n != 0 && (-5..=5).contains(&n) => Ok(n),
        _ => Err(format!("bad weekday number '{s}' (1 to 5, or -1 to -5 from the end)")),
    }
}

fn weekday_of_month(w: &str, n: &str, m: &str) -> Result<(u8, i8, i8), String> {
    Ok((
        weekday_index(w).ok_or_else(|| format!("unknown weekday '{w}'"))?,
        nth(n)?,
        month_index(m).ok_or_else(|| format!("unknown month '{m}'"))?,
    ))
}

fn weekday_index(w: &str) -> Option<u8> {
    WEEKDAYS.iter().position(|d| *d == w).map(|i| i as u8)
}

fn month_index(m: &str) -> Option<i8> {
    MONTHS.iter().position(|d| *d == m).map(|i| i as i8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_written_back_as_nagios_writes_them() {
        for (written, key, ranges) in [
            ("monday 00:00-09:00, 17:00-24:00", "monday", "00:00-09:00,17:00-24:00"),
            (
                "2007-01-01 - 2008-02-01 / 3 00:00-24:00",
                "2007-01-01 - 2008-02-01 / 3",
                "00:00-24:00",
            ),
            ("2026-12-05 10:00-11:00", "2026-12-05", "10:00-11:00"),
            ("december 25 00:00-24:00", "december 25", "00:00-24:00"),
            ("july 10-15 00:00-24:00", "july 10 - july 15", "00:00-24:00"),
            ("day 1-15 00:00-24:00", "day 1 - 15", "00:00-24:00"),
            (
                "thursday -1 november 00:00-24:00",
                "thursday -1 november",
                "00:00-24:00",
            ),
            ("monday 3 00:00-24:00", "monday 3", "00:00-24:00"),
        ] {
            let rule = parse_rule(written).expect("valid rule");
            assert_eq!(rule.cache_line(), (key.to_string(), ranges.to_string()), "{written}");
        }
        let sunday = parse_rule("sunday 00:00-24:00").expect("valid");
        let saturday = parse_rule("saturday 00:00-24:00").expect("valid");
        assert!(sunday.sunday_first_rank() < saturday.sunday_first_rank());
    }

    fn set(rules: &[&str]) -> Timeperiods {
        let mut tp = Timeperiod::new("t");
        for r in rules {
            tp.add_rule(r).unwrap();
        }
        Timeperiods { periods: vec![tp] }
    }

    fn at(s: &str) -> Timestamp {
        TimeZone::UTC.to_timestamp(s.parse::<DateTime>().unwrap()).unwrap()
    }

    fn inside(p: &Timeperiods, s: &str) -> bool {
        p.is_inside(0, at(s), &TimeZone::UTC)
    }

    #[test]
    fn weekdays_and_multiple_ranges() {
        // 2026-11-23 is a Monday.
        let p = set(&["monday 00:00-09:00,17:00-24:00"]);
        assert!(inside(&p, "2026-11-23T08:59:59"));
        assert!(!inside(&p, "2026-11-23T09:00:00"));
        assert!(inside(&p, "2026-11-23T23:59:59"));
        assert!(!inside(&p, "2026-11-24T01:00:00"));
        assert_eq!(
            p.next_valid(0, at("2026-11-23T10:00:00"), &TimeZone::UTC),
            Some(at("2026-11-23T17:00:00"))
        );
        assert_eq!(
            p.next_invalid(0, at("2026-11-23T01:00:00"), &TimeZone::UTC),
            Some(at("2026-11-23T09:00:00"))
        );
        assert_eq!(
            p.next_valid(0, at("2026-11-24T10:00:00"), &TimeZone::UTC),
            Some(at("2026-11-30T00:00:00"))
        );
    }

    #[test]
    fn calendar_dates_and_skips() {
        let p = set(&["2026-12-25 00:00-24:00"]);
        assert!(inside(&p, "2026-12-25T12:00:00"));
        assert!(!inside(&p, "2027-12-25T12:00:00"));
        let p = set(&["2026-01-01 - 2026-01-31 / 3 08:00-10:00"]);
        assert!(inside(&p, "2026-01-01T09:00:00"));
        assert!(!inside(&p, "2026-01-02T09:00:00"));
        assert!(inside(&p, "2026-01-04T09:00:00"));
        assert!(!inside(&p, "2026-02-01T09:00:00"));
        // Open-ended with a skip.
        let p = set(&["2026-01-01 / 7 00:00-24:00"]);
        assert!(inside(&p, "2027-01-07T00:00:00"));
    }

    #[test]
    fn month_dates_wrap_over_new_year() {
        let p = set(&["july 4 00:00-24:00"]);
        assert!(inside(&p, "2031-07-04T05:00:00"));
        let p = set(&["november 15 - february 10 00:00-24:00"]);
        assert!(inside(&p, "2026-12-31T05:00:00"));
        assert!(inside(&p, "2027-02-10T05:00:00"));
        assert!(!inside(&p, "2027-02-11T05:00:00"));
        let p = set(&["july 10 - 15 00:00-24:00"]);
        assert!(inside(&p, "2026-07-12T05:00:00"));
        let p = set(&["july 10-15 00:00-24:00"]);
        assert!(!inside(&p, "2026-07-16T05:00:00"));
    }

    #[test]
    fn month_days_from_start_and_end() {
        let p = set(&["day 1 00:00-24:00", "day -1 00:00-24:00"]);
        assert!(inside(&p, "2026-02-01T05:00:00"));
        assert!(inside(&p, "2026-02-28T05:00:00"));
        assert!(!inside(&p, "2026-02-27T05:00:00"));
        let p = set(&["day 25 - 5 00:00-24:00"]);
        assert!(inside(&p, "2026-03-03T05:00:00"));
        assert!(!inside(&p, "2026-03-06T05:00:00"));
    }

    #[test]
    fn nth_weekdays() {
        // Last Thursday of November 2026: the 26th.
        let p = set(&["thursday -1 november 00:00-24:00"]);
        assert!(inside(&p, "2026-11-26T05:00:00"));
        assert!(!inside(&p, "2026-11-19T05:00:00"));
        // Third Monday of every month: 2026-11-16.
        let p = set(&["monday 3 00:00-24:00"]);
        assert!(inside(&p, "2026-11-16T05:00:00"));
        assert!(!inside(&p, "2026-11-23T05:00:00"));
        let p = set(&["monday 1 - thursday 1 00:00-24:00"]);
        // 2026-11-02 is the first Monday, 2026-11-05 the first Thursday.
        assert!(inside(&p, "2026-11-04T05:00:00"));
        assert!(!inside(&p, "2026-11-06T05:00:00"));
        let p = set(&["tuesday 1 april - friday 2 october 00:00-24:00"]);
        assert!(inside(&p, "2026-06-01T05:00:00"));
        assert!(!inside(&p, "2026-12-01T05:00:00"));
    }

    #[test]
    fn excludes_subtract_recursively() {
        let mut work = Timeperiod::new("work");
        work.add_rule("monday 00:00-24:00").unwrap();
        work.excludes = vec![1];
        let mut lunch = Timeperiod::new("lunch");
        lunch.add_rule("monday 12:00-13:00").unwrap();
        let p = Timeperiods {
            periods: vec![work, lunch],
        };
        assert!(p.is_inside(0, at("2026-11-23T11:59:00"), &TimeZone::UTC));
        assert!(!p.is_inside(0, at("2026-11-23T12:30:00"), &TimeZone::UTC));
        assert_eq!(
            p.next_valid(0, at("2026-11-23T12:30:00"), &TimeZone::UTC),
            Some(at("2026-11-23T13:00:00"))
        );
    }

    #[test]
    fn never_valid_period_has_no_next() {
        let p = Timeperiods {
            periods: vec![Timeperiod::new("none")],
        };
        assert_eq!(p.next_valid(0, at("2026-11-23T00:00:00"), &TimeZone::UTC), None);
    }

    #[test]
    fn bad_rules_are_errors() {
        let mut tp = Timeperiod::new("t");
        for bad in [
            "monday",
            "monday 25:00-26:00",
            "monday 10:00-09:00",
            "day 40 00:00-24:00",
            "2026-13-01 00:00-24:00",
            "funday 00:00-01:00",
            "day 1 / 0 00:00-24:00",
        ] {
            assert!(tp.add_rule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rule_keys() {
        for k in ["monday", "Sunday", "july", "day", "2007-01-01"] {
            assert!(Timeperiod::is_rule_key(k), "{k}");
        }
        for k in ["alias", "exclude", "timeperiod_name"] {
            assert!(!Timeperiod::is_rule_key(k), "{k}");
        }
    }
}
