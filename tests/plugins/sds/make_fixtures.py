# ruff: noqa: E501
"""Writes the School Data Sync fixture folders (run once; the files are committed).

Written from Microsoft's SDS v1 (US and UK headers) and v2.1 CSV formats, with the quirks
real exports have: a BOM, CRLF, headers in another case, extra columns, blank cells,
month-first dates, a password column.
"""

from __future__ import annotations

from pathlib import Path

from tests.plugins.oneroster.make_fixtures import write

HERE = Path(__file__).parent / "folders"


def v1_us() -> None:
    f = HERE / "v1-us"
    write(
        f,
        "School.csv",
        [
            "SIS ID,Name,School Number,School NCES_ID,State ID,Grade Low,Grade High,Principal SIS ID,Principal Name,Principal Secondary Email,Address,City,State,Country,Zip,Phone,Zone",
            "100,Riverside High,RH,,,9,12,,,,1 River Rd,Portland,OR,US,97201,,",
            "200,Hillview Middle,HM,,,6,8,,,,2 Hill St,Portland,OR,US,97202,,",
        ],
        bom=True,
        crlf=True,
    )
    write(
        f,
        "Section.csv",
        [
            "SIS ID,School SIS ID,Section Name,Section Number,Term SIS ID,Term Name,Term StartDate,Term EndDate,Course SIS ID,Course Name,Course Number,Course Description,Course Subject,Periods,Status",
            "sec1,100,Biology 1,BIO-1,fall26,Fall 2026,08/01/2026,12/20/2026,bio,Biology,BIO,,Science,1,",
            "sec2,100,Biology 2,BIO-2,fall26,Fall 2026,08/01/2026,12/20/2026,bio,Biology,BIO,,Science,2,",
            "sec3,200,Art,ART-1,fall26,Fall 2026,08/01/2026,12/20/2026,art,Art,ART,,Art,5,",
        ],
        crlf=True,
    )
    write(
        f,
        "Student.csv",
        [
            "SIS ID,School SIS ID,Username,Password,First Name,Last Name,Middle Name,Secondary Email,Student Number,Grade,State ID,Status,Birthdate,Graduation Year",
            "1,100,ann.lee@riverside.example,Secr3t-CANARY-pw,Ann,Lee,,,1001,9,,,03/04/2011,2029",
            "2,100,ben.ode@riverside.example,,Ben,Ode,,,1002,9,,,,2029",
            "3,200,fin.gale@riverside.example,,Fin,Gale,,,2001,7,,,,2031",
            "4,100,,,No,Username,,,1004,9,,,,2029",
        ],
    )
    write(
        f,
        "Teacher.csv",
        [
            "SIS ID,School SIS ID,Username,Password,First Name,Last Name,Middle Name,Secondary Email,Teacher Number,Status,Title,Qualification",
            # Teacher SIS IDs may repeat student ones: separate id spaces in SDS v1.
            "1,100,j.grant@riverside.example,Secr3t-CANARY-pw,John,Grant,,,T1,,Mr,",
            '2,"100,200",h.holt@riverside.example,,Hana,Holt,,,T2,,Ms,',
        ],
    )
    write(
        f,
        "StudentEnrollment.csv",
        [
            "Section SIS ID,SIS ID",
            "sec1,1",
            "sec1,2",
            "sec2,2",
            "sec3,3",
            "sec1,4",
            "sec9,1",
        ],
    )
    write(
        f,
        "TeacherRoster.csv",
        [
            "Section SIS ID,SIS ID",
            "sec1,1",
            "sec2,2",
            "sec2,1",
        ],
    )


def v1_uk() -> None:
    f = HERE / "v1-uk"
    write(
        f,
        "school.csv",
        [
            "DfE Number,Name,Address,Postcode",
            "3134500,Riverside Academy,1 River Rd,AB1 2CD",
        ],
        crlf=True,
    )
    write(
        f,
        "section.csv",
        [
            "ID,School DfE Number,Section Name,Term ID,Term Name,Term StartDate,Term EndDate",
            "7A-Ma,3134500,7A Maths,au26,Autumn 2026,09/01/2026,12/18/2026",
            "7A-En,3134500,7A English,au26,Autumn 2026,09/01/2026,12/18/2026",
        ],
        bom=True,
    )
    write(
        f,
        "student.csv",
        [
            "ID,School DfE Number,Username,First Name,Last Name,Year",
            "S1,3134500,alee@riverside.example,Ann,Lee,7",
            "S2,3134500,bode@riverside.example,Ben,Ode,7",
        ],
    )
    write(
        f,
        "teacher.csv",
        [
            "ID,School DfE Number,Username,First Name,Last Name,Title",
            "T1,3134500,jgrant@riverside.example,John,Grant,Mr",
        ],
    )
    write(
        f,
        "studentenrollment.csv",
        [
            "Section ID,ID",
            "7A-Ma,S1",
            "7A-Ma,S2",
            "7A-En,S1",
        ],
    )
    write(f, "teacherroster.csv", ["section id,id", "7A-Ma,T1", "7A-En,T1"])


def v2_1() -> None:
    f = HERE / "v2.1"
    write(
        f,
        "orgs.csv",
        [
            "sourcedId,name,type,parentSourcedId",
            "d1,Riverside District,district,",
            "s1,Riverside High,school,d1",
        ],
        bom=True,
    )
    write(
        f,
        "users.csv",
        [
            "sourcedId,username,givenName,familyName,password,activeDirectoryMatchId,email,phone,sms",
            "u1,ann.lee@riverside.example,Ann,Lee,Secr3t-CANARY-pw,,ann.lee@riverside.example,,",
            "u2,ben.ode@riverside.example,Ben,Ode,,,,,",
            "u3,j.grant@riverside.example,John,Grant,,,j.grant@riverside.example,,",
            "u4,h.holt@riverside.example,Hana,Holt,,,,,",
            "g1,,Pat,Lee,,,parent-CANARY@home.example,+1555CANARY1,+1555CANARY2",
        ],
        crlf=True,
    )
    write(
        f,
        "roles.csv",
        [
            "userSourcedId,orgSourcedId,role,sessionSourcedIds,grade,isPrimary,roleStartDate,roleEndDate",
            "u1,s1,student,y26,09,true,,",
            "u2,s1,student,y26,09,true,,",
            "u3,s1,teacher,y26,,true,,",
            "u4,s1,professor,y26,,true,,",
        ],
    )
    write(
        f,
        "academicSessions.csv",
        [
            "sourcedId,title,type,schoolYear,startDate,endDate",
            "y26,2026-27,schoolYear,2027,08/01/2026,06/30/2027",
        ],
    )
    write(
        f,
        "classes.csv",
        [
            "sourcedId,orgSourcedId,title,sessionSourcedIds,code,courseSourcedId",
            "c1,s1,Biology 1,y26,BIO-1,",
            "c2,s1,Biology 2,y26,BIO-2,",
        ],
    )
    write(
        f,
        "enrollments.csv",
        [
            "classSourcedId,userSourcedId,role",
            "c1,u1,student",
            "c1,u2,student",
            "c2,u2,student",
            "c1,u3,teacher",
            "c2,u4,lecturer",
            "c2,u1,student",
        ],
    )
    write(
        f,
        "relationships.csv",
        [
            "userSourcedId,relationshipUserSourcedId,relationshipRole",
            "u1,g1,guardian",
        ],
    )


if __name__ == "__main__":
    v1_us()
    v1_uk()
    v2_1()
