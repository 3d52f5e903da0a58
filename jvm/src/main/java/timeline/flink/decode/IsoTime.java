package timeline.flink.decode;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Epoch milliseconds of {@code YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]][Z|±HH:MM]]} (engine.events.iso_time):
 * UTC without an offset, the fraction cut to milliseconds, dates of the proleptic Gregorian calendar.
 */
final class IsoTime {
    private static final Pattern ISO_8601 = Pattern.compile(
            "([0-9]{4})-([0-9]{2})-([0-9]{2})"
            + "(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\\.([0-9]+))?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?");
    private static final long DAY_MS = 86_400_000L;

    private IsoTime() {}

    /** The instant of {@code text}, in range or not; null if it is not such a text or a field is out of bounds. */
    static Long millis(String text) {
        Matcher match = ISO_8601.matcher(text);
        if (!match.matches()) {
            return null;
        }
        int year = number(match, 1);
        int month = number(match, 2);
        int day = number(match, 3);
        int hour = number(match, 4);
        int minute = number(match, 5);
        int second = number(match, 6);
        String fraction = match.group(7) == null ? "" : match.group(7);
        String offset = match.group(8) == null ? "Z" : match.group(8);
        int offsetHours = offset.equals("Z") ? 0 : Integer.parseInt(offset.substring(1, 3));
        int offsetMinutes = offset.equals("Z") ? 0 : Integer.parseInt(offset.substring(4, 6));
        if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59
                || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
            return null;
        }
        int east = offset.charAt(0) == '-' ? -1 : 1;
        long minutes = hour * 60L + minute - east * (offsetHours * 60L + offsetMinutes);
        String millis = (fraction + "000").substring(0, 3);
        return daysSinceEpoch(year, month, day) * DAY_MS + (minutes * 60 + second) * 1000 + Integer.parseInt(millis);
    }

    private static int number(Matcher match, int group) {
        return match.group(group) == null ? 0 : Integer.parseInt(match.group(group));
    }

    private static int daysInMonth(int year, int month) {
        if (month == 2) {
            return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28;
        }
        return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
    }

    /** Days from 1970-01-01 to a date of years 0 to 9999, counting years from March (the leap day ends them). */
    private static long daysSinceEpoch(int year, int month, int day) {
        long eraYear = year - (month <= 2 ? 1 : 0) + 400;  // 400 years later: the same calendar, all positive
        long dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long days = eraYear * 365 + eraYear / 4 - eraYear / 100 + eraYear / 400 + dayOfYear;
        return days - 719_468 - 146_097;
    }
}
